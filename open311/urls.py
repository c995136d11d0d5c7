"""Open311 GeoReport v2 at /open311/v2/ (linli/urls.py), and the page where street admins manage keys."""

from django.urls import path, re_path

from open311 import views

app_name = "open311"
FMT = r"(?P<fmt>[A-Za-z0-9]+)"

urlpatterns = [
    path("", views.root, name="root"),
    re_path(rf"^discovery\.{FMT}$", views.discovery, name="discovery"),
    re_path(rf"^services\.{FMT}$", views.service_list, name="services"),
    re_path(rf"^services/(?P<code>[-\w]+)\.{FMT}$", views.service_definition, name="service_definition"),
    re_path(rf"^requests\.{FMT}$", views.request_list, name="requests"),
    re_path(rf"^requests/(?P<request_id>[^/.]+)\.{FMT}$", views.request_detail, name="request_detail"),
    path("keys/", views.keys, name="keys"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]
