from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Litigation tracker: editors"
admin.site.site_title = "Litigation tracker admin"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("cases.urls")),
    path("", include("readers.urls")),
]
