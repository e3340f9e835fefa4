from django.urls import path

from readers import views

app_name = "readers"

urlpatterns = [
    path("alerts/", views.subscribe, name="subscribe"),
    path("alerts/requested/", views.requested, name="requested"),
    path("alerts/confirm/<str:token>/", views.confirm, name="confirm"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("alerts/manage/", views.manage_request, name="manage-request"),
    path("alerts/manage/sent/", views.manage_sent, name="manage-sent"),
    path("alerts/manage/<str:token>/", views.manage, name="manage"),
    path("corrections/<slug:kind>/<slug:key>/", views.suggest_correction, name="correction"),
    path(
        "corrections/<slug:kind>/<slug:key>/thanks/",
        views.correction_thanks,
        name="correction-thanks",
    ),
]
