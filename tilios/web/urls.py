from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("lieux/<str:public_id>/", views.place, name="place"),
    path("sources/", views.sources, name="sources"),
]
