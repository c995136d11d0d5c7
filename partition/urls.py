from django.urls import path

from partition import views

app_name = "partition"
urlpatterns = [
    path("", views.partition_page, name="page"),
]
