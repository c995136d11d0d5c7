"""Distribution pages (care/views_distributions.py), added to care/urls.py (namespace "care")."""

from django.urls import path

from care import views_distributions

urlpatterns = [
    path("distributions/", views_distributions.distribution_list, name="distribution_list"),
    path("distributions/new/", views_distributions.distribution_new, name="distribution_new"),
    path("distributions/<int:pk>/", views_distributions.distribution_detail, name="distribution_detail"),
    path(
        "distributions/<int:pk>/deliver/",
        views_distributions.distribution_deliver,
        name="distribution_deliver",
    ),
]
