import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_bench_floor_is_a_404_unless_the_setting_is_on(client, cast, settings):
    settings.LINLI_BENCH_FLOOR = False
    client.force_login(cast.cell_leader)
    assert client.get(reverse("bench_floor")).status_code == 404


def test_bench_floor_asks_an_anonymous_visitor_to_log_in(client, settings):
    settings.LINLI_BENCH_FLOOR = True
    response = client.get(reverse("bench_floor"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_bench_floor_answers_the_user_name_with_the_session_and_user_queries_only(
    client, cast, settings, django_assert_num_queries
):
    settings.LINLI_BENCH_FLOOR = True
    client.force_login(cast.cell_leader)
    with django_assert_num_queries(2):  # the session, the user
        response = client.get(reverse("bench_floor"))
    assert response.status_code == 200
    assert response.content.decode() == (cast.cell_leader.full_name or cast.cell_leader.username)
