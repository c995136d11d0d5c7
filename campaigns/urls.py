from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("new/count/", views.campaign_count, name="count"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/mark/", views.campaign_mark_list, name="mark_list"),
    path("<int:pk>/mark/<int:target_id>/", views.campaign_target_mark, name="mark"),
]
