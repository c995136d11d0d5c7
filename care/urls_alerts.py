"""Welfare alert pages (care/views_alerts.py), added to care/urls.py (namespace "care")."""

from django.urls import path

from care import views_alerts

urlpatterns = [
    path("alerts/", views_alerts.alert_list, name="alert_list"),
    path("alerts/new/", views_alerts.alert_new, name="alert_new"),
    path("alerts/neighbour/", views_alerts.alert_neighbour, name="alert_neighbour"),
    path("alerts/<int:pk>/", views_alerts.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/step/", views_alerts.alert_step, name="alert_step"),
    path("alerts/<int:pk>/note/", views_alerts.alert_note, name="alert_note"),
    path("alerts/<int:pk>/close/", views_alerts.alert_close, name="alert_close"),
    path(
        "alerts/<int:pk>/call/raiser/", views_alerts.alert_call, {"field": "raiser"}, name="alert_call_raiser"
    ),
    path("alerts/<int:pk>/call/<int:resident_id>/<str:field>/", views_alerts.alert_call, name="alert_call"),
    # From the building's QR page, no login needed.
    path("alerts/b/<int:building_id>/", views_alerts.alert_public, name="alert_public"),
    path("alerts/b/<int:building_id>/sent/", views_alerts.alert_public_sent, name="alert_public_sent"),
]
