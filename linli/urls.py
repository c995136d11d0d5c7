from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from linli.api import api

urlpatterns = [
    path("", include("web.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("territory/", include("territory.urls")),
    path("people/", include("people.urls")),
    path("leaders/", include("leaders.urls")),
    path("inbox/", include("notices.urls")),
    path("figures/", include("figures.urls")),
    path("care/", include("care.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("inspections/", include("inspections.urls")),
    path("partition/", include("partition.urls")),
    path("boards/", include("boards.urls")),
    path("open311/v2/", include("open311.urls")),
    path("", include("service_requests.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
