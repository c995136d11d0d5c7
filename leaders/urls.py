from django.urls import path

from leaders import views

app_name = "leaders"
urlpatterns = [
    path("", views.appointment_list, name="appointment_list"),
    path("new/", views.appointment_create, name="appointment_create"),
    path("<int:pk>/end/", views.appointment_end, name="appointment_end"),
    path("<int:pk>/hand-over/", views.appointment_hand_over, name="appointment_hand_over"),
]
