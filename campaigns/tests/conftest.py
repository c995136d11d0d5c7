from dataclasses import dataclass

import pytest

from campaigns.models import Campaign, CampaignTarget, TargetStatus
from campaigns.services import campaign_target_mark
from campaigns.tests.factories import start_campaign
from linli.testing import make_household


@dataclass
class Marked:
    """A community campaign over community A with known coverage (see `marked`)."""

    campaign: Campaign

    def target(self, household) -> CampaignTarget:
        return CampaignTarget.objects.get(campaign=self.campaign, household=household)


@pytest.fixture
def campaign(cast):
    """A campaign over community A, started by its staff: h1, h1b (C1), h2 (C2), h3 (C3), h_unplaced."""
    return start_campaign(cast.staff, cast.community)


@pytest.fixture
def marked(cast):
    """Community A with extra households, then a campaign over it, marked so:

    cell C1 (h1, h1b + 3 new): 3 reached, 1 not at home, 1 not yet
    cell C2 (h2 + 2 new):      1 reached, 1 declined, 1 not yet
    cell C3 (h3 + 1 new):      1 reached, 1 not yet
    not in a cell (h_unplaced): not yet
    so G1 = A1: 8 targets, 4 reached; A2 = G2: 2 targets, 1 reached; community A: 11 targets, 5 reached.
    """
    c1 = [cast.h1, cast.h1b] + [make_household(cast.cell, room=f"50{i}") for i in range(1, 4)]
    c2 = [cast.h2] + [make_household(cast.cell2, room=f"60{i}") for i in range(1, 3)]
    c3 = [cast.h3, make_household(cast.cell3, building="2栋", room="701")]
    campaign = start_campaign(cast.staff, cast.community)
    world = Marked(campaign)

    def mark(actor, household, status):
        campaign_target_mark(actor=actor, target=world.target(household), status=status)

    for household in c1[:3]:
        mark(cast.cell_leader, household, TargetStatus.REACHED)
    mark(cast.cell_leader, c1[3], TargetStatus.NOT_HOME)
    mark(cast.cell_leader_2, c2[0], TargetStatus.REACHED)
    mark(cast.cell_leader_2, c2[1], TargetStatus.DECLINED)
    mark(cast.staff, c3[0], TargetStatus.REACHED)
    world.c1, world.c2, world.c3 = c1, c2, c3
    return world
