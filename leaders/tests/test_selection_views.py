"""Selection pages: who sees what (staff of their own community; a resident their own cell's election and
their own nominations), bad input shown back with nothing saved, and the happy paths."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from leaders import services
from leaders.models import (
    Appointment,
    Attendance,
    Election,
    ElectionStatus,
    Nomination,
    NominationStatus,
    QualificationReview,
    Role,
    Training,
    Vote,
)
from leaders.tests.selection_world import (
    approved,
    election_in,
    linked_resident,
    recommended,
    resident_without_account,
    staff_of_b,
)
from linli.testing import make_household

NOMINATIONS = reverse("leaders:nomination_list")
RECOMMEND = reverse("leaders:nomination_recommend")
MY_CELL = reverse("leaders:my_cell")
NOMINATE_SELF = reverse("leaders:nominate_self")
ELECTIONS = reverse("leaders:election_list")
ELECTION_OPEN = reverse("leaders:election_open")
TRAININGS = reverse("leaders:training_list")
TRAINING_NEW = reverse("leaders:training_create")


def url(name, *args):
    return reverse(f"leaders:{name}", args=args)


def login(client, user, *, english=True):
    client.force_login(user)
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


# --- Staff pages: who may open them ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["area_leader", "group_leader", "cell_leader", "building_leader", "resident", "outsider"]
)
def test_staff_selection_pages_are_404_for_everyone_else(cast, client, role):
    nomination = recommended(cast)
    login(client, getattr(cast, role))
    for page in (
        NOMINATIONS,
        RECOMMEND,
        ELECTIONS,
        ELECTION_OPEN,
        TRAININGS,
        TRAINING_NEW,
        url("nomination_review", nomination.pk),
        url("nomination_appoint", nomination.pk),
    ):
        assert client.get(page).status_code == 404, page


def test_staff_of_another_community_cannot_see_our_nominations(cast, client):
    nomination = recommended(cast)
    login(client, staff_of_b(cast))
    assert list(client.get(NOMINATIONS).context["page"].object_list) == []
    for page in ("nomination_detail", "nomination_review", "nomination_appoint"):
        assert client.get(url(page, nomination.pk)).status_code == 404
    assert client.post(url("nomination_withdraw", nomination.pk)).status_code == 404
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.PROPOSED


def test_nominations_list_shows_the_communitys_nominations_with_status(cast, client):
    recommended(cast)
    services.nomination_self_create(actor=cast.resident)
    b = staff_of_b(cast)
    services.nomination_recommend(
        actor=b, unit=cast.other_cell, role=Role.CELL_LEADER, resident=cast.hb.members.get()
    )
    response = login(client, cast.staff).get(NOMINATIONS)
    page = response.content.decode()
    assert "赵敏" in page and "张桂莲" in page and "孙伟" not in page
    assert "Awaiting review" in page
    street = login(client, cast.street_admin).get(NOMINATIONS, {"community": cast.other_community.pk})
    assert [n.nominee_name for n in street.context["page"].object_list] == ["孙伟"]


def test_nominations_list_costs_the_same_whatever_the_size(cast, client, django_assert_num_queries):
    login(client, cast.staff)
    recommended(cast)
    with django_assert_num_queries(8):
        client.get(NOMINATIONS)
    for name in ("甲", "乙", "丙"):
        recommended(cast, resident_without_account(cast, name))
    client.force_login(cast.staff)
    with django_assert_num_queries(8):
        assert len(client.get(NOMINATIONS).context["page"].object_list) == 4


# --- Recommend, review, appoint ---------------------------------------------------------------------------


def test_staff_recommend_a_resident(cast, client):
    resident = resident_without_account(cast)
    response = login(client, cast.staff).post(
        RECOMMEND, {"person": f"r{resident.pk}", "unit": cast.cell.pk, "role": "", "statement": "热心"}
    )
    nomination = Nomination.objects.get()
    assert response.status_code == 302 and response.url == url("nomination_detail", nomination.pk)
    assert (nomination.resident, nomination.role, nomination.statement) == (
        resident,
        Role.CELL_LEADER,
        "热心",
    )


def test_recommend_shows_bad_input_back(cast, client):
    login(client, cast.staff)
    resident = resident_without_account(cast)
    response = client.post(RECOMMEND, {"person": "", "unit": cast.cell.pk})
    assert response.status_code == 200 and "Choose a person" in response.content.decode()
    response = client.post(RECOMMEND, {"person": f"r{resident.pk}", "unit": cast.other_cell.pk})
    assert response.status_code == 200 and "within your territory" in response.content.decode()
    response = client.post(
        RECOMMEND, {"person": f"r{resident.pk}", "unit": cast.group.pk, "role": "cell_leader"}
    )
    assert response.status_code == 200 and "cannot be appointed at this level" in response.content.decode()
    assert not Nomination.objects.exists()


def test_review_page_prefills_lives_in_the_cell_from_the_registry(cast, client):
    nomination = recommended(cast)
    response = login(client, cast.staff).get(url("nomination_review", nomination.pk))
    assert response.context["form"]["lives_in_cell"].value() is True
    assert "The registry says the nominee lives here." in response.content.decode()


def test_review_refused_approval_is_shown_back_and_nothing_saved(cast, client):
    nomination = recommended(cast)
    response = login(client, cast.staff).post(
        url("nomination_review", nomination.pk),
        {"decision": "approve", "political_quality": "on", "reviewed_on": "2025-03-01"},
    )
    assert response.status_code == 200
    assert "Approve only when every item is met" in response.content.decode()
    assert not QualificationReview.objects.exists()
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.PROPOSED


def test_review_approves_with_the_whole_checklist(cast, client):
    nomination = recommended(cast)
    data = {
        "decision": "approve",
        "reviewed_on": "2025-03-01",
        "reputation_note": "大家都认识",
        **{
            name: "on"
            for name in (
                "political_quality",
                "coordination",
                "reputation",
                "responsibility",
                "has_time",
                "lives_in_cell",
            )
        },
    }
    response = login(client, cast.staff).post(url("nomination_review", nomination.pk), data)
    assert response.status_code == 302
    review = QualificationReview.objects.get()
    assert (review.reviewer, review.reputation_note) == (cast.staff, "大家都认识")
    page = client.get(url("nomination_detail", nomination.pk)).content.decode()
    assert "Approved" in page and "大家都认识" in page


def test_appoint_page_hands_the_post_over_and_links_the_documents(cast, client):
    nomination = approved(cast, recommended(cast))
    old = Appointment.objects.get(person=cast.cell_leader, role=Role.CELL_LEADER)
    login(client, cast.staff)
    form = client.get(url("nomination_appoint", nomination.pk)).context["form"]
    assert form["replaces"].value() == str(old.pk)
    response = client.post(
        url("nomination_appoint", nomination.pk),
        {
            "started_on": "2025-06-01",
            "term_ends_on": "2028-05-31",
            "replaces": str(old.pk),
            "end_reason": "moved_away",
            "end_note": "",
        },
    )
    assert response.status_code == 302
    new = Appointment.objects.get(unit=cast.cell, role=Role.CELL_LEADER, ended_on__isnull=True)
    assert new.person.full_name == "赵敏" and new.term_ends_on == datetime.date(2028, 5, 31)
    page = client.get(url("nomination_detail", nomination.pk)).content.decode()
    assert url("appointment_letter", new.pk) in page and url("appointment_card", new.pk) in page


def test_appoint_page_shows_bad_input_back(cast, client):
    nomination = approved(cast, recommended(cast))
    old = Appointment.objects.get(person=cast.cell_leader, role=Role.CELL_LEADER)
    login(client, cast.staff)
    response = client.post(
        url("nomination_appoint", nomination.pk),
        {"started_on": "2025-06-01", "term_ends_on": "2028-05-31", "replaces": str(old.pk), "end_reason": ""},
    )
    assert response.status_code == 200 and "Say why the present holder" in response.content.decode()
    response = client.post(
        url("nomination_appoint", nomination.pk), {"started_on": "2025-06-01", "term_ends_on": "2024-01-01"}
    )
    assert response.status_code == 200 and "term must end after" in response.content.decode()
    assert Appointment.objects.filter(unit=cast.cell, role=Role.CELL_LEADER).count() == 1
    nomination.refresh_from_db()
    assert nomination.status == NominationStatus.APPROVED


# --- Residents --------------------------------------------------------------------------------------------


def test_my_cell_shows_the_residents_neighbour_leader(cast, client):
    page = login(client, cast.resident).get(MY_CELL).content.decode()
    assert "第一邻" in page and "王建国" in page and "组长甲" in page
    assert NOMINATE_SELF in page


def test_a_resident_puts_themselves_forward_from_my_cell(cast, client):
    login(client, cast.resident)
    response = client.post(NOMINATE_SELF, {"statement": "我退休了，有时间"})
    assert response.status_code == 302 and response.url == MY_CELL
    nomination = Nomination.objects.get()
    assert (nomination.source, nomination.statement) == ("self", "我退休了，有时间")
    page = client.get(MY_CELL).content.decode()
    assert "Awaiting review" in page and NOMINATE_SELF not in page
    detail = client.get(url("nomination_detail", nomination.pk))
    assert detail.status_code == 200 and "Review qualification" not in detail.content.decode()


def test_self_nomination_refused_is_shown_back(cast, client):
    unplaced = linked_resident(cast.h_unplaced, "钱多")
    response = login(client, unplaced).post(NOMINATE_SELF, {"statement": "x"})
    assert response.status_code == 200 and "not yet in a neighbour cell" in response.content.decode()
    response = login(client, cast.resident).post(NOMINATE_SELF, {"statement": "长" * 1001})
    assert response.status_code == 200
    assert not Nomination.objects.exists()


def test_a_resident_sees_only_their_own_nominations(cast, client):
    own = services.nomination_self_create(actor=cast.resident)
    other = recommended(cast)
    login(client, cast.resident)
    assert client.get(url("nomination_detail", own.pk)).status_code == 200
    assert client.get(url("nomination_detail", other.pk)).status_code == 404
    login(client, cast.cell_leader)
    assert client.get(url("nomination_detail", own.pk)).status_code == 404


# --- Elections --------------------------------------------------------------------------------------------


@pytest.fixture
def election(cast):
    second = linked_resident(make_household(cast.cell, room="103"), "周平")
    return election_in(cast, [cast.resident.resident, second.resident])


def test_open_election_page_lists_the_cells_residents_as_candidates(cast, client):
    response = login(client, cast.staff).get(ELECTION_OPEN, {"unit": cast.cell.pk})
    labels = [label for _value, label in response.context["form"].fields["candidates"].choices]
    assert [label.split(" · ")[0] for label in labels] == ["张桂莲", "王建国"]


def test_open_election_shows_bad_input_back(cast, client):
    login(client, cast.staff)
    now = timezone.now()
    data = {
        "unit": cast.cell.pk,
        "opens_at": _local(now),
        "closes_at": _local(now - datetime.timedelta(hours=1)),
        "candidates": [str(cast.resident.resident_id)],
    }
    response = client.post(ELECTION_OPEN, data)
    assert response.status_code == 200 and "close after it opens" in response.content.decode()
    response = client.post(
        ELECTION_OPEN, dict(data, closes_at=_local(now + datetime.timedelta(days=2)), candidates=[])
    )
    assert response.status_code == 200 and "at least one candidate" in response.content.decode()
    response = client.post(
        ELECTION_OPEN,
        dict(
            data,
            closes_at=_local(now + datetime.timedelta(days=2)),
            candidates=[str(cast.h2.members.get().pk)],
        ),
    )
    assert response.status_code == 200
    assert not Election.objects.exists()


def test_staff_open_an_election(cast, client):
    now = timezone.now()
    response = login(client, cast.staff).post(
        ELECTION_OPEN,
        {
            "unit": cast.cell.pk,
            "opens_at": _local(now - datetime.timedelta(minutes=5)),
            "closes_at": _local(now + datetime.timedelta(days=7)),
            "candidates": [str(cast.resident.resident_id), str(cast.cell_leader.resident_id)],
        },
    )
    election = Election.objects.get()
    assert response.status_code == 302 and response.url == url("election_detail", election.pk)
    assert election.candidates.count() == 2 and election.status == ElectionStatus.OPEN


def test_residents_see_only_their_own_cells_election(cast, client, election):
    page = login(client, cast.resident).get(MY_CELL).content.decode()
    assert url("election_detail", election.pk) in page
    assert client.get(url("election_detail", election.pk)).context["vote_form"] is not None
    for outsider in (cast.cell_leader_2, cast.outsider, staff_of_b(cast), cast.building_leader):
        login(client, outsider)
        assert client.get(url("election_detail", election.pk)).status_code == 404
        response = client.post(
            url("election_vote", election.pk), {"candidate": election.candidates.first().pk}
        )
        assert response.status_code == 404
    assert not Vote.objects.exists()


def test_a_household_votes_once_through_the_page(cast, client, election):
    candidate = election.candidates.order_by("pk").last()
    login(client, cast.resident)
    response = client.post(url("election_vote", election.pk), {"candidate": candidate.pk})
    assert response.status_code == 302
    page = client.get(url("election_detail", election.pk))
    assert (
        page.context.get("vote_form") is None and "Your household has voted for 周平" in page.content.decode()
    )
    spouse = linked_resident(cast.h1, "张丈夫", gender="M", birth=datetime.date(1948, 1, 1))
    response = login(client, spouse).post(url("election_vote", election.pk), {"candidate": candidate.pk})
    assert response.status_code == 200 and "already voted" in response.content.decode()
    assert Vote.objects.count() == 1


def test_a_bad_ballot_is_shown_back(cast, client, election):
    response = login(client, cast.resident).post(url("election_vote", election.pk), {"candidate": "999999"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Vote.objects.exists()


def test_staff_close_and_publish_and_the_cell_sees_the_results(cast, client, election):
    candidate = election.candidates.order_by("pk").last()
    services.election_vote(actor=cast.resident, election=election, candidate=candidate)
    login(client, cast.staff)
    assert client.post(url("election_act", election.pk, "publish")).status_code == 302
    election.refresh_from_db()
    assert election.status == ElectionStatus.OPEN  # refused: not closed yet
    client.post(url("election_act", election.pk, "close"))
    assert login(client, cast.resident).get(url("election_detail", election.pk)).context.get("tally") is None
    response = login(client, cast.staff).post(url("election_act", election.pk, "publish"))
    nomination = Nomination.objects.get(source="election")
    assert response.url == url("nomination_detail", nomination.pk)
    page = login(client, cast.resident).get(url("election_detail", election.pk)).content.decode()
    assert "Results" in page and "周平" in page and "Elected" in page


def test_staff_of_another_community_cannot_close_our_election(cast, client, election):
    login(client, staff_of_b(cast))
    assert client.post(url("election_act", election.pk, "close")).status_code == 404
    election.refresh_from_db()
    assert election.status == ElectionStatus.OPEN


def test_an_unknown_election_action_is_404(cast, client, election):
    assert login(client, cast.staff).post(url("election_act", election.pk, "rig")).status_code == 404


# --- Training ---------------------------------------------------------------------------------------------


def test_staff_record_a_training_and_its_attendance(cast, client):
    login(client, cast.staff)
    response = client.post(
        TRAINING_NEW,
        {"title": "邻长培训", "unit": cast.community.pk, "held_on": "2025-04-01", "place": "活动室"},
    )
    training = Training.objects.get()
    assert response.status_code == 302 and response.url == url("training_detail", training.pk)
    page = client.get(url("training_detail", training.pk)).content.decode()
    assert "王建国" in page and "刘芳" in page
    response = client.post(
        url("training_detail", training.pk), {"attended": [cast.cell_leader.pk, cast.cell_leader_2.pk]}
    )
    assert response.status_code == 302
    assert Attendance.objects.filter(training=training, attended=True).count() == 2
    assert "2 of 5 attended" in client.get(TRAININGS).content.decode()


def test_training_bad_input_is_shown_back(cast, client):
    login(client, cast.staff)
    response = client.post(TRAINING_NEW, {"title": "", "unit": cast.other_community.pk, "held_on": "x"})
    assert response.status_code == 200 and not Training.objects.exists()
    training = services.training_create(
        actor=cast.staff, unit=cast.group, title="组内", held_on=timezone.localdate()
    )
    response = client.post(url("training_detail", training.pk), {"attended": [cast.outsider.pk]})
    assert response.status_code == 200 and "only the people invited" in response.content.decode()
    response = client.post(url("training_detail", training.pk), {"attended": ["abc"]})
    assert response.status_code == 200
    assert not Attendance.objects.exists()


def test_staff_of_another_community_cannot_see_our_training(cast, client):
    training = services.training_create(
        actor=cast.staff, unit=cast.community, title="x", held_on=timezone.localdate()
    )
    login(client, staff_of_b(cast))
    assert client.get(url("training_detail", training.pk)).status_code == 404
    assert list(client.get(TRAININGS).context["page"].object_list) == []


# --- Existing appointment pages keep working with a term ------------------------------------------------


def test_appointment_create_takes_an_optional_term(cast, client):
    resident = resident_without_account(cast, cell=cast.cell3)
    response = login(client, cast.staff).post(
        reverse("leaders:appointment_create"),
        {
            "person": f"r{resident.pk}",
            "role": "cell_leader",
            "place": f"unit:{cast.cell3.pk}",
            "started_on": "2025-01-01",
            "term_ends_on": "2027-12-31",
        },
    )
    assert response.status_code == 302
    assert Appointment.objects.get(unit=cast.cell3).term_ends_on == datetime.date(2027, 12, 31)


def test_my_cell_panel_for_the_home_page(cast, rf):
    from django.template import Context, Template

    template = Template("{% load leaders_tags %}{% my_cell_panel %}")
    request = rf.get("/")
    request.user = cast.resident
    with translation.override("en"):
        html = template.render(Context({"request": request}))
    assert "王建国" in html and MY_CELL in html
    request.user = cast.outsider
    assert MY_CELL not in template.render(Context({"request": request}))
