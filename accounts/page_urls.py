"""ADE routes of accounts, mounted under /ade/."""

from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import pages

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="accounts/login.html", redirect_authenticated_user=True),
        name="ade-login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="ade-logout"),
    path("keys/", pages.keys, name="ade-keys"),
    path("keys/create/", pages.create_key, name="ade-key-create"),
    path("keys/<str:key_id>/revoke/", pages.revoke_key, name="ade-key-revoke"),
]
