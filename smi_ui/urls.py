"""URL routes: pages, authentication and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

admin.site.site_header = "smi-ui administration"
admin.site.site_title = "smi-ui admin"
admin.site.index_title = "Accounts, grants, clusters and records"


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on pages that name no icon (the admin, the API docs)."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon),
    path("", include("smi_ui.ops.urls")),
    path("api/", include("smi_ui.api.urls")),
    path("", include("smi_ui.web.urls")),
]

# Error pages in the product's style with the request id (JSON error bodies under /api/).
handler400 = "smi_ui.web.views.errors.bad_request"
handler403 = "smi_ui.web.views.errors.permission_denied"
handler404 = "smi_ui.web.views.errors.page_not_found"
handler500 = "smi_ui.web.views.errors.server_error"
