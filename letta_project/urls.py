from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("agents.urls")),  # pages and /v1/health/ (unauthenticated), matched first
    path("v1/", include("agents.api.urls")),
    path("ade/", include("accounts.page_urls")),
    path("ade/", include("agents.page_urls")),
    # Browsers ask for /favicon.ico on pages that name no icon (JSON, the API); the ADE's pages name the SVG.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]

# Under /v1/ an unknown path and any unhandled error answer JSON, as the API does (DRF's handler covers only DRF
# views); everywhere else the ADE's own pages (templates/404.html, 500.html).
handler404 = "accounts.api_errors.page_not_found"
handler500 = "accounts.api_errors.server_error"
