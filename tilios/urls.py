from django.contrib import admin
from django.urls import include, path

from tilios.api.api import api

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("tilios.web.urls")),
]

handler400 = "tilios.web.error_views.bad_request"
handler500 = "tilios.web.error_views.server_error"
