import pytest

from partition.tests.world import build_world
from territory.models import Level, TerritoryUnit


@pytest.fixture
def world(db):
    """The demo-like street of partition.tests.world; returns its first community (幸福社区)."""
    build_world()
    return TerritoryUnit.objects.get(level=Level.COMMUNITY, name="幸福社区")


@pytest.fixture
def world_staff(world):
    from leaders.models import Appointment, Role

    return Appointment.objects.filter(role=Role.COMMUNITY_STAFF, unit=world).first().person
