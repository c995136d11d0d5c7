from django.urls import path

from care import views

app_name = "care"
urlpatterns: list = [
    path("", views.round_today, name="round"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/carer/", views.plan_carer, name="plan_carer"),
    path("plans/<int:pk>/reveal/<int:resident_id>/<str:field>/", views.plan_reveal, name="plan_reveal"),
    path("carers/", views.carer_list, name="carers"),
    path("cadence/", views.cadence, name="cadence"),
]
from care.urls_alerts import urlpatterns as _alerts  # noqa: E402

urlpatterns += _alerts
from care.urls_distributions import urlpatterns as _distributions  # noqa: E402

urlpatterns += _distributions
