"""The inspection figures on a fixture with known answers: rounds done, hazards found, removed (their
request resolved or closed) and still open, per community and for the viewer's territory."""

import datetime

import pytest
import time_machine

from inspections import selectors, services
from service_requests.services import request_close, request_resolve
from territory.models import Building

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
MARCH_5 = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=SHANGHAI)
TODAY = datetime.date(2026, 3, 20)


def _march():
    return selectors.Period(datetime.date(2026, 3, 1), TODAY, month="2026-03")


def _round(when, actor, unit, marks):
    with time_machine.travel(when, tick=False):
        return services.inspection_record(actor=actor, unit=unit, findings=marks)


@pytest.fixture
def march(cast, items, kinds, c1_building):
    """C1: a round with 2 hazards (one then resolved) and an all-fine round just after midnight; C2: a round with 1 hazard
    (then closed); C3: a round with 1 hazard (open). The last day of February: C1, 1 hazard (not in
    March). Community B: a round with 1 hazard."""
    c2_building = Building.objects.get(entrances__households=cast.h2)
    c3_building = Building.objects.get(entrances__households=cast.h3)
    r1 = _round(
        MARCH_5,
        cast.cell_leader,
        cast.cell,
        [
            (items[0], True, c1_building, "堵"),
            (items[1], True, c1_building, "充电"),
            (items[2], False, None, ""),
        ],
    )
    # 00:30 on 1 March in Shanghai is still 28 February in UTC: it counts in March.
    _round(
        datetime.datetime(2026, 3, 1, 0, 30, tzinfo=SHANGHAI),
        cast.cell_leader,
        cast.cell,
        [(items[0], False, None, "")],
    )
    r3 = _round(MARCH_5, cast.cell_leader_2, cast.cell2, [(items[3], True, c2_building, "过期")])
    _round(MARCH_5, cast.staff, cast.cell3, [(items[4], True, c3_building, "锁了")])
    _round(
        datetime.datetime(2026, 2, 28, 23, 30, tzinfo=SHANGHAI),
        cast.cell_leader,
        cast.cell,
        [(items[0], True, c1_building, "旧的")],
    )
    b_items = services.checklist_items_for(cast.other_community)
    hb_building = Building.objects.get(entrances__households=cast.hb)
    _round(MARCH_5, cast.street_admin, cast.other_cell, [(b_items[0], True, hb_building, "和平")])
    with time_machine.travel(MARCH_5 + datetime.timedelta(hours=3), tick=False):
        request_resolve(
            actor=cast.cell_leader,
            request=r1.findings.filter(is_hazard=True).first().request,
            outcome="清走了",
        )
        request_close(actor=cast.staff, request=r3.findings.get().request, reason="已处理")


def test_staff_figures_for_the_community(cast, march):
    figures = selectors.inspection_figures(cast.staff, _march())
    assert [(f.rounds, f.found, f.removed, f.open) for f in figures.communities] == [(4, 4, 2, 2)]
    assert (figures.total.rounds, figures.total.found, figures.total.removed, figures.total.open) == (
        4,
        4,
        2,
        2,
    )


def test_street_admin_figures_per_community_and_in_total(cast, march):
    figures = selectors.inspection_figures(cast.street_admin, _march())
    rows = {f.name: (f.rounds, f.found, f.removed, f.open) for f in figures.communities}
    assert rows == {cast.community.name: (4, 4, 2, 2), cast.other_community.name: (1, 1, 0, 1)}
    assert (figures.total.rounds, figures.total.found, figures.total.removed, figures.total.open) == (
        5,
        5,
        2,
        3,
    )


def test_a_cell_leader_counts_only_their_cell(cast, march):
    total = selectors.inspection_figures(cast.cell_leader, _march()).total
    assert (total.rounds, total.found, total.removed, total.open) == (2, 2, 1, 1)


def test_a_group_leader_counts_their_cells(cast, march):
    total = selectors.inspection_figures(cast.group_leader, _march()).total
    assert (total.rounds, total.found, total.removed, total.open) == (3, 3, 2, 1)


def test_the_period_ends_at_local_midnight(cast, march):
    february = selectors.Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28), month="2026-02")
    total = selectors.inspection_figures(cast.cell_leader, february).total
    assert (total.rounds, total.found, total.removed, total.open) == (1, 1, 0, 1)


def test_a_year_covers_every_month(cast, march):
    year = selectors.period_parse({"year": "2026"}, TODAY)
    assert selectors.inspection_figures(cast.cell_leader, year).total.rounds == 3


def test_nothing_found_gives_zeros(cast):
    total = selectors.inspection_figures(cast.staff, _march()).total
    assert (total.rounds, total.found, total.removed, total.open) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, (datetime.date(2026, 3, 1), TODAY)),
        ({"month": "2026-01"}, (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))),
        ({"month": "2025-12"}, (datetime.date(2025, 12, 1), datetime.date(2025, 12, 31))),
        ({"year": "2025"}, (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))),
        ({"year": "2026"}, (datetime.date(2026, 1, 1), TODAY)),
    ],
)
def test_period_parse(params, expected):
    period = selectors.period_parse(params, TODAY)
    assert (period.start, period.end) == expected and not period.error


@pytest.mark.parametrize(
    "params",
    [{"month": "2026-13"}, {"month": "2026-04"}, {"month": "x"}, {"year": "1999"}, {"year": "２０２５"}],
)
def test_a_bad_period_falls_back_to_this_month_with_a_message(params):
    period = selectors.period_parse(params, TODAY)
    assert (period.start, period.end) == (datetime.date(2026, 3, 1), TODAY) and period.error
