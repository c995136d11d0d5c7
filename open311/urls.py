"""Open311 GeoReport v2 routes are defined by the Open311 work in open311/views.py."""

urlpatterns: list = []
