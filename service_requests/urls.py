from django.urls import path

from service_requests import views, views_catalogue, views_public

app_name = "service_requests"
urlpatterns = [
    # Residents, no login needed (service_requests/views_public.py)
    path("r/b/<int:building_id>/", views_public.file_from_building, name="file_from_building"),
    path("r/b/<int:building_id>/similar/", views_public.similar_open_requests, name="similar_open_requests"),
    path("r/<str:token>/", views_public.track, name="track"),
    path("r/<str:token>/rate/", views_public.rate, name="rate"),
    path("r/<str:token>/photos/<int:photo_id>/", views_public.public_photo, name="public_photo"),
    path("requests/mine/", views_public.my_requests, name="my_requests"),
    # Leaders and staff (service_requests/views.py)
    path("requests/", views.queue, name="queue"),
    path("requests/new/", views.file_on_behalf, name="file_on_behalf"),
    path("requests/<int:pk>/", views.detail, name="detail"),
    path("requests/<int:pk>/act/<str:action>/", views.act, name="act"),
    path("requests/<int:pk>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("requests/team/", views.team_queue, name="team_queue"),
    # The service catalogue and response templates (service_requests/views_catalogue.py)
    path("requests/catalogue/", views_catalogue.catalogue, name="catalogue"),
    path("requests/catalogue/<int:pk>/", views_catalogue.kind_edit, name="kind_edit"),
    path("requests/catalogue/new/", views_catalogue.kind_create, name="kind_create"),
    path("requests/templates/", views_catalogue.template_list, name="template_list"),
    path("requests/templates/<int:pk>/", views_catalogue.template_edit, name="template_edit"),
    path("requests/templates/new/", views_catalogue.template_create, name="template_create"),
]
