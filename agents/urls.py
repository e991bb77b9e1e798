from django.urls import re_path

from agents import views

urlpatterns = [
    re_path(r"^$", views.home, name="home"),
    # Letta Code asks for /v1/health without the slash, the SDK with it; /v1/ready is Letta's other name for it.
    re_path(r"^v1/health/?$", views.health, name="health"),
    re_path(r"^v1/ready/?$", views.health, name="ready"),
]
