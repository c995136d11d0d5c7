import pytest

from open311.services import api_key_issue
from service_requests.catalogue import service_catalogue_install


@pytest.fixture
def catalogue(cast):
    return {kind.code: kind for kind in service_catalogue_install(cast.street)}


@pytest.fixture
def plain_key(cast, catalogue):
    """A working key of the cast's street (the plain text, as a partner system holds it)."""
    _key, plain = api_key_issue(actor=cast.street_admin, name="12345 hotline", street=cast.street)
    return plain
