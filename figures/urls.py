from django.urls import path

from figures import views

app_name = "figures"
urlpatterns = [
    path("", views.figures_page, name="page"),
    path("export.xlsx", views.figures_export, name="export"),
]
