import pytest

from inspections.services import checklist_items_for
from linli.testing import make_household
from service_requests.catalogue import service_catalogue_install
from service_requests.models import ServiceKind
from territory.models import Building


@pytest.fixture
def kinds(cast):
    service_catalogue_install(cast.street)
    return {k.code: k for k in ServiceKind.objects.filter(street=cast.street)}


@pytest.fixture
def items(cast):
    """Community A's checklist (the default one, installed on first use)."""
    return checklist_items_for(cast.community)


@pytest.fixture
def shared_building(cast):
    """阳光小区 1栋: households of cells C1 and C2 live in it."""
    return Building.objects.get(entrances__households=cast.h1)


@pytest.fixture
def c1_building(cast):
    """A building where only cell C1 has households."""
    household = make_household(cast.cell, building="5栋", room="501")
    return Building.objects.get(entrances__households=household)
