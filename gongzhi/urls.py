from django.contrib import admin
from django.urls import include, path

from gongzhi.api.api import api
from gongzhi.web import views as web_views

admin.site.site_header = "共治 · 系统管理"
admin.site.site_title = "共治管理后台"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("gongzhi.open311.urls")),
    path("healthz", web_views.healthz, name="healthz"),
    path("", include("gongzhi.accounts.urls")),
    path("", include("gongzhi.orgs.urls")),
    path("", include("gongzhi.registry.urls")),
    path("", include("gongzhi.imports.urls")),
    path("", include("gongzhi.notifications.urls")),
    path("", include("gongzhi.cases.urls")),
    path("", include("gongzhi.command.urls")),
    path("", include("gongzhi.campaigns.urls")),
    path("", include("gongzhi.inspections.urls")),
    path("", include("gongzhi.care.urls")),
    path("", include("gongzhi.sharing.urls")),
    path("", include("gongzhi.disputes.urls")),
    path("", include("gongzhi.patrols.urls")),
    path("", include("gongzhi.volunteers.urls")),
    path("", include("gongzhi.decide.urls")),
    path("", include("gongzhi.fieldwork.urls")),
    path("", include("gongzhi.points.urls")),
    path("", include("gongzhi.hotline.urls")),
    path("", include("gongzhi.selfservice.urls")),
    path("", include("gongzhi.web.urls")),
]

handler403 = "gongzhi.web.views.error_403"
handler404 = "gongzhi.web.views.error_404"
handler500 = "gongzhi.web.views.error_500"
