"""The figures of requests: the three rates, medians, the street line, period boundaries, and the daily
rollups that must give the same counts as a count from scratch."""

import datetime
import io

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from figures import selectors
from figures.models import RequestDailyRollup, RollupDay
from figures.selectors import request_figures
from figures.services import rollup_days_due, rollup_rebuild, rollup_refresh
from service_requests import services
from service_requests.catalogue import service_catalogue_install
from service_requests.models import Channel, ServiceKind

UTC = datetime.UTC
START = datetime.datetime(2026, 3, 2, 1, 10, tzinfo=UTC)  # 09:10 in Shanghai, Monday 2 March
NOW = datetime.datetime(2026, 3, 7, 2, 0, tzinfo=UTC)
MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
H = datetime.timedelta(hours=1)


@pytest.fixture
def kinds(cast):
    service_catalogue_install(cast.street)
    return {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}


def at(moment, action, **kwargs):
    with time_machine.travel(moment, tick=False):
        return action(**kwargs)


def file(moment, cast, kind, household, channel, actor=None, **kwargs):
    return at(
        moment,
        services.request_file,
        actor=actor or cast.cell_leader,
        kind=kind,
        description="问题",
        channel=channel,
        household=household,
        **kwargs,
    )


@pytest.fixture
def march(cast, kinds):
    """Five requests filed on 2 March in community A (known answers worked out by hand below), one
    filed the evening before the period, and one in community B."""
    c = cast
    r1 = file(START, c, kinds["repair"], c.h1, Channel.QR, actor=c.resident, reporter_user=c.resident)
    at(START + 1 * H, services.request_respond, actor=c.cell_leader, request=r1, message="马上来")
    at(START + 10 * H, services.request_resolve, actor=c.cell_leader, request=r1, outcome="修好了")
    at(START + 11 * H, services.request_rate, request=r1, rating=5)  # in time, in time, rated 5
    r2 = file(START, c, kinds["dispute"], c.h1b, Channel.WECHAT)
    at(START + 13 * H, services.request_respond, actor=c.cell_leader, request=r2, message="去调解")
    at(START + 20 * H, services.request_resolve, actor=c.cell_leader, request=r2, outcome="和解")
    # answered late (12 h allowed), resolved in time (72 h), not rated
    r3 = file(START, c, kinds["hazard"], c.h1, Channel.VISIT)
    at(START + 1 * H, services.request_respond, actor=c.cell_leader, request=r3, message="已到场")
    at(START + 30 * H, services.request_resolve, actor=c.cell_leader, request=r3, outcome="已排除")
    at(START + 31 * H, services.request_rate, request=r3, rating=3)  # resolved late (24 h), rated 3
    r4 = file(START + 2 * H, c, kinds["repair"], c.h2, Channel.PHONE, actor=c.cell_leader_2)  # never answered
    file(START + 3 * H, c, kinds["micro"], c.h1, Channel.VISIT, solved_on_spot=True, on_spot_outcome="代买")
    before = datetime.datetime(2026, 2, 28, 15, 30, tzinfo=UTC)  # 23:30 on 28 February, Shanghai
    file(before, c, kinds["repair"], c.h1, Channel.QR)
    file(START, c, kinds["repair"], c.hb, Channel.QR, actor=c.street_admin)
    return {"r4": r4}


def figures_at(user, unit, period=MARCH, now=NOW, **kwargs):
    with time_machine.travel(now, tick=False):
        return request_figures(user, unit, *period, now=now, **kwargs)


def test_the_three_rates_follow_their_definitions(cast, march):
    f = figures_at(cast.staff, cast.community)
    assert f.filed == 5
    assert (f.responded_in_time, f.response_rate) == (3, 60.0)  # r1, r3, solved on the spot
    assert (f.resolved_in_time, f.resolution_rate) == (3, 60.0)  # r1, r2, solved on the spot
    assert (f.rated, f.rated_good, f.satisfaction_rate) == (2, 1, 50.0)


def test_medians_are_in_hours_over_answered_and_resolved_requests(cast, march):
    f = figures_at(cast.staff, cast.community)
    assert f.median_response_hours == 1.0  # 0, 1, 1, 13
    assert f.median_resolution_hours == 15.0  # 0, 10, 20, 30


def test_street_line_counts_handled_requests_by_report_category(cast, march):
    f = figures_at(cast.staff, cast.community)
    assert f.problems_found == 5
    assert f.handled == 4  # all but the unanswered repair
    assert (f.disputes_settled, f.hazards_removed, f.micro_services) == (1, 1, 1)


def test_overdue_now_counts_open_requests_past_a_deadline(cast, march):
    assert figures_at(cast.staff, cast.community).overdue_now == 1
    early = START + 3 * H  # the repair's 24 h to answer have not run out yet
    assert figures_at(cast.staff, cast.community, now=early).overdue_now == 0


def test_counts_by_kind_and_channel(cast, march, kinds):
    f = figures_at(cast.staff, cast.community)
    by_kind = {k.pk: k.filed for k in f.by_kind}
    assert by_kind[kinds["repair"].pk] == 2 and by_kind[kinds["dispute"].pk] == 1
    assert by_kind[kinds["hazard"].pk] == 1 and by_kind[kinds["micro"].pk] == 1
    assert by_kind[kinds["other"].pk] == 0  # every active kind is listed
    assert {c.value: c.filed for c in f.by_channel} == {"qr": 1, "wechat": 1, "visit": 2, "phone": 1}


def test_request_filed_the_day_before_the_period_is_not_counted(cast, march):
    f = figures_at(cast.staff, cast.community, period=(datetime.date(2026, 2, 28), datetime.date(2026, 3, 1)))
    assert f.filed == 1  # 23:30 local on 28 February (15:30 UTC)
    assert [n for _day, n in f.per_day] == [1, 0]
    assert figures_at(cast.staff, cast.community).per_day[1] == (datetime.date(2026, 3, 2), 5)


def test_last_minute_of_the_period_counts_and_the_next_does_not(cast, kinds):
    last = datetime.datetime(2026, 3, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 March, Shanghai
    file(last, cast, kinds["repair"], cast.h1, Channel.QR)
    file(last + 2 * datetime.timedelta(minutes=1), cast, kinds["repair"], cast.h1, Channel.QR)
    assert figures_at(cast.staff, cast.community, now=last + 2 * H).filed == 1


def test_unit_figures_cover_only_requests_placed_under_it(cast, march):
    assert figures_at(cast.street_admin, cast.street).filed == 6
    assert figures_at(cast.street_admin, cast.other_community).filed == 1
    assert figures_at(cast.cell_leader, cast.cell).filed == 4
    assert figures_at(cast.cell_leader_2, cast.cell2).filed == 1


def test_rates_show_nothing_when_nothing_was_filed(cast, kinds):
    f = figures_at(cast.staff, cast.community)
    assert f.filed == 0 and f.response_rate is None and f.satisfaction_rate is None
    assert f.median_response_hours is None


def test_figures_take_a_constant_number_of_queries(cast, march, kinds, django_assert_num_queries):
    # scope (2), rolled-up days, kinds, counts by kind, by channel, by day, durations, overdue
    with django_assert_num_queries(9):
        figures_at(cast.staff, cast.community)
    for hour in range(6):
        file(START + hour * H, cast, kinds["sanitation"], cast.h2, Channel.PATROL, actor=cast.staff)
    cast.staff.__dict__.pop("_linli_scope", None)
    with django_assert_num_queries(9):
        assert figures_at(cast.staff, cast.community).filed == 11


def test_presets_cover_whole_months():
    today = datetime.date(2026, 3, 15)
    assert selectors.period_preset("this_month", today) == (datetime.date(2026, 3, 1), today)
    assert selectors.period_preset("last_month", today) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
    )
    assert selectors.period_preset("this_year", today) == (datetime.date(2026, 1, 1), today)
    assert selectors.period_preset("last_12_months", today) == (datetime.date(2025, 4, 1), today)
    assert selectors.period_preset("last_month", datetime.date(2026, 1, 9))[0] == datetime.date(2025, 12, 1)


# ---- Rollups ---------------------------------------------------------------------------------------


def test_rollup_figures_equal_a_count_from_scratch(cast, march):
    at(NOW, rollup_rebuild, day_from=datetime.date(2026, 2, 1), day_to=datetime.date(2026, 3, 6))
    assert RequestDailyRollup.objects.exists()
    for user, unit in [(cast.street_admin, cast.street), (cast.staff, cast.community)]:
        rolled = figures_at(user, unit)
        scratch = figures_at(user, unit, use_rollups=False)
        assert rolled.from_rollups and not scratch.from_rollups
        assert rolled.counts() == scratch.counts()
        assert abs(rolled.median_resolution_hours - scratch.median_resolution_hours) <= 0.05 + 1e-9


def test_a_request_changed_after_its_rollup_is_read_from_raw_rows(cast, march):
    at(NOW, rollup_rebuild, day_from=datetime.date(2026, 3, 1), day_to=datetime.date(2026, 3, 6))
    later = NOW + 2 * H
    at(later, services.request_resolve, actor=cast.cell_leader_2, request=march["r4"], outcome="修好了")
    rolled = figures_at(cast.staff, cast.community, now=later + H)
    assert rolled.from_rollups and rolled.handled == 5 and rolled.overdue_now == 0
    assert (
        rolled.counts() == figures_at(cast.staff, cast.community, now=later + H, use_rollups=False).counts()
    )
    assert datetime.date(2026, 3, 2) in at(later + H, rollup_days_due, window_days=30)


def test_refresh_rebuilds_only_days_never_rolled_or_changed(cast, march):
    assert at(NOW, rollup_refresh, window_days=10) == 10
    assert at(NOW, rollup_refresh, window_days=10) == 0
    later = NOW + 2 * H
    at(later, services.request_resolve, actor=cast.cell_leader_2, request=march["r4"], outcome="修好了")
    assert at(later + H, rollup_refresh, window_days=10) == 1
    assert RollupDay.objects.get(day=datetime.date(2026, 3, 2)).built_at == later + H


def test_leaders_figures_never_read_rollups(cast, march):
    at(NOW, rollup_rebuild, day_from=datetime.date(2026, 3, 1), day_to=datetime.date(2026, 3, 6))
    assert not figures_at(cast.cell_leader, cast.cell).from_rollups
    assert figures_at(cast.street_admin, cast.street).from_rollups


def test_histogram_median_is_within_half_a_bucket_of_the_exact_median():
    for values in ([0.0], [1.0, 2.0], [0.05, 30.0, 30.2, 500.0], [200.0, 300.0, 900.0]):
        histogram = {}
        for value in values:
            selectors.histogram_add(histogram, value)
        values = sorted(values)
        middle = values[(len(values) - 1) // 2 : len(values) // 2 + 1]
        tolerance = max(selectors.bucket_width(selectors.hours_bucket(v)) for v in middle) / 2
        exact = sum(middle) / len(middle)
        assert abs(selectors.histogram_median(histogram) - exact) <= tolerance + 1e-9


ACTIONS = st.sampled_from(["none", "respond", "resolve", "rate_good", "rate_low", "close", "spot"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=9 * 24),  # hours after 1 March 00:00 local
            st.sampled_from(["repair", "dispute", "hazard", "micro", "sanitation"]),
            st.sampled_from(["h1", "h2", "h3", "h_unplaced", "hb"]),
            ACTIONS,
            st.integers(min_value=1, max_value=100),  # hours the action takes
        ),
        max_size=8,
    ),
    cut=st.integers(min_value=1, max_value=9),
)
def test_rollups_equal_a_count_from_scratch_on_random_requests(cast, kinds, plan, cut):
    base = datetime.datetime(2026, 2, 28, 16, 0, tzinfo=UTC)  # 1 March 00:00 in Shanghai
    # Examples share the database; the clock goes back between them, so start each with no rollups.
    RequestDailyRollup.objects.all().delete()
    RollupDay.objects.all().delete()
    filed = []
    for hours, code, household, action, takes in plan:
        filed_at = base + hours * H
        request = file(
            filed_at,
            cast,
            kinds[code],
            getattr(cast, household),
            Channel.VISIT,
            actor=cast.street_admin,
            solved_on_spot=action == "spot",
        )
        filed.append((request, action))
        if action in ("respond", "resolve", "rate_good", "rate_low"):
            at(
                filed_at + takes * H / 4,
                services.request_respond,
                actor=cast.street_admin,
                request=request,
                message="好",
            )
        if action in ("resolve", "rate_good", "rate_low"):
            at(
                filed_at + takes * H,
                services.request_resolve,
                actor=cast.street_admin,
                request=request,
                outcome="好",
            )
        if action in ("rate_good", "rate_low"):
            rating = 5 if action == "rate_good" else 3
            at(filed_at + (takes + 1) * H, services.request_rate, request=request, rating=rating)
        if action == "close":
            at(filed_at + H, services.request_close, actor=cast.street_admin, request=request, reason="撤回")
    now = base + 14 * 24 * H
    day_to = datetime.date(2026, 3, cut)  # days after the cut stay raw: rollups and raw rows mix
    at(now, rollup_rebuild, day_from=datetime.date(2026, 2, 20), day_to=day_to)
    # A change after the rollup: that day must come from raw rows.
    for request, action in filed[:1]:
        if action in ("none", "respond"):
            at(now + H, services.request_resolve, actor=cast.street_admin, request=request, outcome="好")
    now += 2 * H
    for user, unit in [(cast.street_admin, cast.street), (cast.staff, cast.community)]:
        rolled = figures_at(
            user, unit, period=(datetime.date(2026, 2, 27), datetime.date(2026, 3, 12)), now=now
        )
        scratch = figures_at(
            user,
            unit,
            period=(datetime.date(2026, 2, 27), datetime.date(2026, 3, 12)),
            now=now,
            use_rollups=False,
        )
        assert rolled.counts() == scratch.counts()


def test_rollup_command_rebuilds_the_last_days(cast, march):
    from django.core.management import call_command

    with time_machine.travel(NOW, tick=False):
        call_command("figures_rollup", "--days", "6", stdout=io.StringIO())
    assert sorted(RollupDay.objects.values_list("day", flat=True))[0] == datetime.date(2026, 3, 1)
    assert (
        RequestDailyRollup.objects.filter(day=datetime.date(2026, 3, 2)).count() == 6
    )  # five in A, one in B
