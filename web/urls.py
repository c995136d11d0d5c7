from django.urls import path

from web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("bench/floor/", views.bench_floor, name="bench_floor"),
]
