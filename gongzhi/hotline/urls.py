from django.urls import path

from gongzhi.hotline import views

urlpatterns = [
    path("hotline/orders", views.receive, name="hotline_receive"),
    path("hotline/import/", views.import_orders, name="hotline_import"),
    path("hotline/dead-letters/", views.dead_letters, name="hotline_dead_letters"),
]
