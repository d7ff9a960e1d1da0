from django.urls import path

from gongzhi.points import views

urlpatterns = [
    path("points/", views.home, name="points_home"),
    path("points/accounts/<id:account_id>/", views.account_page, name="points_account"),
    path(
        "points/accounts/<id:account_id>/print/", views.account_print, name="points_account_print"
    ),
    path("points/accounts/<id:account_id>/award/", views.account_award, name="points_award"),
    path("points/accounts/<id:account_id>/deduct/", views.account_deduct, name="points_deduct"),
    path("points/pending/", views.pending, name="points_pending"),
    path(
        "points/redemptions/<id:redemption_id>/",
        views.redemption_action,
        name="points_redemption_action",
    ),
    path("points/banks/<id:bank_id>/", views.bank_page, name="points_bank"),
    path("points/report/", views.report, name="points_report"),
    path("points/report.xlsx", views.report_xlsx, name="points_report_xlsx"),
    path("points/merchant/", views.merchant_home, name="points_merchant"),
    path("points/merchant/statement.xlsx", views.merchant_home_xlsx, name="points_merchant_xlsx"),
    path("points/merchants/<id:merchant_id>/", views.merchant_page, name="points_merchant_page"),
    path(
        "points/merchants/<id:merchant_id>/statement.xlsx",
        views.merchant_page_xlsx,
        name="points_merchant_statement_xlsx",
    ),
    path("points/merchant/redeem/", views.merchant_redeem, name="points_merchant_redeem"),
]
