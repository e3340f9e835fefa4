from django.urls import path

from cases import dashboard, feeds, health, timeline, views

app_name = "cases"

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("timeline/", timeline.timeline, name="timeline"),
    path("healthz", health.healthz, name="healthz"),
    path("rulings/", views.ruling_list, name="ruling-list"),
    path("rulings/feed/", feeds.ruling_feed, name="ruling-feed"),
    path("rulings/<int:pk>/", views.ruling_detail, name="ruling-detail"),
    path("lawsuits/", views.lawsuit_list, name="lawsuit-list"),
    path("lawsuits/<slug:slug>/", views.lawsuit_detail, name="lawsuit-detail"),
    path("lawsuits/<slug:slug>/feed/", feeds.lawsuit_feed, name="lawsuit-feed"),
    path("policies/", views.policy_list, name="policy-list"),
    path("policies/<slug:slug>/", views.policy_detail, name="policy-detail"),
    path("policies/<slug:slug>/feed/", feeds.policy_feed, name="policy-feed"),
    path("programs/", views.program_list, name="program-list"),
    path("programs/<slug:slug>/", views.program_detail, name="program-detail"),
    path("courts/", views.court_list, name="court-list"),
    path("courts/<slug:pk>/", views.court_detail, name="court-detail"),
    path("jurisdictions/", views.jurisdiction_list, name="jurisdiction-list"),
    path("jurisdictions/<slug:slug>/", views.jurisdiction_detail, name="jurisdiction-detail"),
]
