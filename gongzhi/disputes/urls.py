from django.urls import path

from gongzhi.disputes import views

urlpatterns = [
    path("disputes/", views.register, name="disputes"),
    path("disputes/xlsx/", views.register_xlsx, name="disputes_xlsx"),
    path("disputes/new/", views.new, name="dispute_new"),
    path("disputes/screening/", views.screening, name="dispute_screening"),
    path("disputes/screening/xlsx/", views.screening_xlsx, name="dispute_screening_xlsx"),
    path("disputes/kpis/", views.kpis, name="dispute_kpis"),
    path("disputes/mediators/", views.mediators, name="dispute_mediators"),
    path("disputes/types/", views.types, name="dispute_types"),
    path("disputes/<id:dispute_id>/", views.dispute_page, name="dispute"),
    path("disputes/<id:dispute_id>/notice/", views.notice, name="dispute_notice"),
    path("disputes/<id:dispute_id>/<slug:what>/", views.dispute_post, name="dispute_post"),
    path(
        "disputes/agreements/<id:agreement_id>/",
        views.agreement_print,
        name="dispute_agreement",
    ),
    path(
        "disputes/agreements/<id:agreement_id>/photo/",
        views.agreement_photo,
        name="dispute_agreement_photo",
    ),
]
