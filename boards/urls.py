from django.urls import path

from boards import views

app_name = "boards"
urlpatterns = [
    path("b/<int:building_id>/", views.building_board, name="building"),
    path("b/<int:building_id>/pdf", views.building_board_pdf, name="building_pdf"),
    path("e/<int:estate_id>/", views.estate_board, name="estate"),
    path("e/<int:estate_id>/pdf", views.estate_board_pdf, name="estate_pdf"),
    path("e/<int:estate_id>/all.pdf", views.estate_boards_all_pdf, name="estate_all_pdf"),
]
