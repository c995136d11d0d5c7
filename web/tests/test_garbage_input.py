"""No page or endpoint answers 500 to garbage in its query string (found by a review's fuzzing)."""

import pytest

GARBAGE = ["²", "-1", "0", "abc", "9" * 30, "１２", "1e3", "%00", "unit:²", "u²", "r²"]
ROUTES = [
    ("staff", "/territory/?unit={}"),
    ("staff", "/leaders/?unit={}"),
    ("staff", "/leaders/new/?unit={}&person={}"),
    ("staff", "/leaders/new/?place={}"),
    ("staff", "/people/households/new/?entrance={}"),
    ("staff", "/people/households/?cell={}&page={}&estate={}&special_group={}"),
    ("cell_leader", "/people/households/?unit={}&page={}"),
    ("staff", "/people/search/?q={}"),
    ("staff", "/api/people/households?cell={}"),
    ("staff", "/api/people/households?community={}&page={}"),
    ("staff", "/api/territory/units?parent={}"),
    ("staff", "/api/territory/units?page={}"),
    ("staff", "/api/leaders/appointments?page={}"),
    ("staff", "/api/people/households/{}"),
    ("staff", "/api/people/residents/{}"),
]


@pytest.mark.parametrize("role, route", ROUTES)
def test_garbage_in_query_strings_never_answers_500(client, cast, role, route):
    client.force_login(getattr(cast, role))
    for value in GARBAGE:
        url = route.replace("{}", value)
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)


def test_garbage_person_choice_on_the_appointment_form_is_a_form_error(client, cast):
    client.force_login(cast.staff)
    for person in ["u²", "r²", "u" + "9" * 30]:
        response = client.post("/leaders/new/", {"person": person, "role": "cell_leader", "place": "unit:²"})
        assert response.status_code == 200  # the form again, with what to fix


def test_a_nul_character_is_refused_at_the_door(client, cast):
    client.force_login(cast.staff)
    assert client.get("/people/search/", {"q": "张\x00"}).status_code == 400
    assert client.post("/leaders/new/", {"new_full_name": "a\x00b"}).status_code == 400
