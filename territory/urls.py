from django.urls import path

from territory import views, views_estates

app_name = "territory"
urlpatterns = [
    # The governance tree (territory/views.py)
    path("", views.tree, name="tree"),
    # Estates, buildings, entrances (territory/views_estates.py)
    path("estates/", views_estates.estate_list, name="estate_list"),
    path("estates/new/", views_estates.estate_create, name="estate_create"),
    path("estates/<int:pk>/", views_estates.estate_detail, name="estate_detail"),
]
