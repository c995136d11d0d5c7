from django.urls import path

from leaders import views, views_selection

app_name = "leaders"
urlpatterns = [
    path("", views.appointment_list, name="appointment_list"),
    path("new/", views.appointment_create, name="appointment_create"),
    path("<int:pk>/end/", views.appointment_end, name="appointment_end"),
    path("<int:pk>/hand-over/", views.appointment_hand_over, name="appointment_hand_over"),
    # Documents of an appointment (leaders/views_selection.py)
    path("<int:pk>/letter.pdf", views_selection.appointment_letter, name="appointment_letter"),
    path("<int:pk>/card.pdf", views_selection.appointment_card, name="appointment_card"),
    # Selection: nominations, review, appointment (staff)
    path("nominations/", views_selection.nomination_list, name="nomination_list"),
    path("nominations/new/", views_selection.nomination_recommend, name="nomination_recommend"),
    path("nominations/<int:pk>/", views_selection.nomination_detail, name="nomination_detail"),
    path("nominations/<int:pk>/review/", views_selection.nomination_review, name="nomination_review"),
    path("nominations/<int:pk>/appoint/", views_selection.nomination_appoint, name="nomination_appoint"),
    path("nominations/<int:pk>/withdraw/", views_selection.nomination_withdraw, name="nomination_withdraw"),
    # Residents: their cell's leaders and election, self-nomination
    path("my-cell/", views_selection.my_cell, name="my_cell"),
    path("my-cell/nominate/", views_selection.nominate_self, name="nominate_self"),
    # Elections
    path("elections/", views_selection.election_list, name="election_list"),
    path("elections/new/", views_selection.election_open, name="election_open"),
    path("elections/<int:pk>/", views_selection.election_detail, name="election_detail"),
    path("elections/<int:pk>/vote/", views_selection.election_vote, name="election_vote"),
    path("elections/<int:pk>/<str:action>/", views_selection.election_act, name="election_act"),
    # Training and the coverage report
    path("trainings/", views_selection.training_list, name="training_list"),
    path("trainings/new/", views_selection.training_create, name="training_create"),
    path("trainings/<int:pk>/", views_selection.training_detail, name="training_detail"),
    path("coverage/", views_selection.coverage, name="coverage"),
]
