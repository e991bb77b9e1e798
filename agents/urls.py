from django.urls import path

from agents import views

urlpatterns = [
    path("", views.home, name="home"),
    path("v1/health/", views.health, name="health"),
]
