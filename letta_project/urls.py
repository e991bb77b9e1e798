from django.urls import include, path

urlpatterns = [
    path("", include("agents.urls")),  # pages and /v1/health/ (unauthenticated), matched first
    path("v1/", include("agents.api.urls")),
    path("ade/", include("accounts.page_urls")),
    path("ade/", include("agents.page_urls")),
]

# Unhandled errors in any view under /v1/ (DRF's handler covers only DRF views) answer JSON, not HTML.
handler500 = "accounts.api_errors.server_error"
