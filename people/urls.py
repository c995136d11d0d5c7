from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("mine/", views.my_households, name="my_households"),
    path("households/", views.household_list, name="household_list"),
    path("search/", views.search, name="search"),
    path("import/", views.roster_import, name="roster_import"),
]
