from django.urls import path

from people import views, views_edit, views_roster

app_name = "people"
urlpatterns = [
    # Reading (people/views.py)
    path("mine/", views.my_households, name="my_households"),
    path("households/", views.household_list, name="household_list"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/history/", views.household_history, name="household_history"),
    path("residents/<int:pk>/history/", views.resident_history, name="resident_history"),
    path("residents/<int:pk>/reveal/<str:field>/", views.resident_reveal, name="resident_reveal"),
    path("search/", views.search, name="search"),
    # Editing (people/views_edit.py)
    path("households/new/", views_edit.household_create, name="household_create"),
    path("households/<int:pk>/edit/", views_edit.household_edit, name="household_edit"),
    path("households/<int:pk>/status/", views_edit.household_status, name="household_status"),
    path("households/<int:pk>/residents/new/", views_edit.resident_create, name="resident_create"),
    path("residents/<int:pk>/edit/", views_edit.resident_edit, name="resident_edit"),
    # Roster import and export (people/views_roster.py)
    path("import/", views_roster.roster_import, name="roster_import"),
    path("import/<str:token>/", views_roster.roster_import_preview, name="roster_import_preview"),
    path("import/<str:token>/errors.xlsx", views_roster.roster_import_errors, name="roster_import_errors"),
    path("export.xlsx", views_roster.roster_export, name="roster_export"),
]
