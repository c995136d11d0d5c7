from django.urls import path

from leaders import views

app_name = "leaders"
urlpatterns = [path("", views.appointment_list, name="appointment_list")]
