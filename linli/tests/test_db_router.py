"""Read replicas: only the pages that ask (replica_reads) read from one; writes, locks, transactions and
every other page stay on the primary.

The replica here is the alias conftest.TEST_REPLICA: the same test database under another connection
(TEST MIRROR), so every query can be told apart by the connection it ran on. The tests commit
(transaction=True) because a second connection does not see a test transaction's rows.
"""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from conftest import TEST_REPLICA
from linli.db_router import replica_alias, replica_reads
from linli.testing import make_request

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", TEST_REPLICA])


@pytest.fixture
def replica(settings):
    settings.LINLI_DATABASE_REPLICAS = [TEST_REPLICA]
    return TEST_REPLICA


class Queries:
    """The SQL each connection ran inside the block."""

    def __enter__(self):
        self.primary = CaptureQueriesContext(connections["default"]).__enter__()
        self.replica = CaptureQueriesContext(connections[TEST_REPLICA]).__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    @staticmethod
    def _sql(captured) -> list[str]:
        return [q["sql"].lower() for q in captured.captured_queries]

    def on_primary(self, table: str) -> list[str]:
        return [sql for sql in self._sql(self.primary) if table in sql]

    def on_replica(self, table: str) -> list[str]:
        return [sql for sql in self._sql(self.replica) if table in sql]


def test_figures_page_reads_the_requests_from_the_replica(client, cast, replica):
    make_request(cast)
    client.force_login(cast.staff)

    with Queries() as queries:
        response = client.get(reverse("figures:page"), {"period": "month"})

    assert response.status_code == 200 and response.context["figures"].filed == 1
    assert queries.on_replica("service_requests_request")
    assert not queries.on_primary("service_requests_request")
    # The session and the user were read before the view, on the primary: a fresh login is never lost
    # to replication lag.
    assert queries.on_primary("django_session") and not queries.on_replica("django_session")


@pytest.mark.parametrize("page", ["figures:page", "figures:export", "people:roster_export"])
def test_who_may_see_what_is_read_from_the_primary_even_on_replica_pages(client, cast, replica, page):
    # An appointment ended a moment ago must stop at once, however far the replica lags.
    client.force_login(cast.staff)

    with Queries() as queries:
        assert client.get(reverse(page), {"period": "month"}).status_code == 200

    assert queries.on_primary("leaders_appointment") and not queries.on_replica("leaders_appointment")
    assert not queries.on_replica("volunteers_team_members")


def test_figures_export_reads_from_the_replica(client, cast, replica):
    make_request(cast)
    client.force_login(cast.staff)

    with Queries() as queries:
        response = client.get(reverse("figures:export"), {"period": "month"})

    assert response.status_code == 200
    assert queries.on_replica("service_requests_request")
    assert not queries.on_primary("service_requests_request")


def test_roster_export_reads_the_residents_from_the_replica_and_logs_on_the_primary(client, cast, replica):
    client.force_login(cast.staff)

    with Queries() as queries:
        response = client.get(reverse("people:roster_export"))

    assert response.status_code == 200
    assert queries.on_replica("people_resident") and not queries.on_primary("people_resident")
    assert [sql for sql in queries.on_primary("audit_accesslog") if sql.startswith("insert")]
    assert not [sql for sql in queries.on_replica("audit_accesslog") if sql.startswith("insert")]


def test_other_pages_read_from_the_primary(client, cast, replica):
    request = make_request(cast)
    client.force_login(cast.cell_leader)

    with Queries() as queries:
        queue = client.get(reverse("service_requests:queue"))
        track = client.get(reverse("service_requests:track", args=[request.public_token]))

    assert queue.status_code == 200 and track.status_code == 200
    assert queries.on_primary("service_requests_request")
    assert queries.replica.captured_queries == []


def test_writes_inside_replica_reads_go_to_the_primary(cast, replica):
    with replica_reads(), Queries() as queries:
        User.objects.create_user(username="neighbour", password="x" * 12)
        User.objects.filter(username="neighbour").update(first_name="邻")

    assert [sql for sql in queries.on_primary("accounts_user") if sql.startswith("insert")]
    assert queries.replica.captured_queries == []


def test_locking_reads_inside_replica_reads_go_to_the_primary(cast, replica):
    with replica_reads(), transaction.atomic(), Queries() as queries:
        list(User.objects.select_for_update().filter(username=cast.staff.username))

    assert queries.on_primary("accounts_user") and queries.replica.captured_queries == []


def test_reads_inside_a_transaction_on_the_primary_stay_there(cast, replica):
    with replica_reads(), transaction.atomic(), Queries() as queries:
        User.objects.create_user(username="newcomer", password="x" * 12)
        assert User.objects.filter(username="newcomer").exists()

    assert queries.replica.captured_queries == []


def test_reads_outside_replica_reads_go_to_the_primary(cast, replica):
    with Queries() as queries:
        assert User.objects.filter(pk=cast.staff.pk).exists()

    assert queries.on_primary("accounts_user") and queries.replica.captured_queries == []


def test_without_replicas_replica_reads_changes_nothing(cast, settings):
    settings.LINLI_DATABASE_REPLICAS = []

    with replica_reads(), Queries() as queries:
        assert replica_alias() is None
        assert User.objects.filter(pk=cast.staff.pk).exists()

    assert queries.on_primary("accounts_user") and queries.replica.captured_queries == []


def test_replica_reads_ends_with_its_block(cast, replica):
    with replica_reads():
        assert replica_alias() == TEST_REPLICA
    assert replica_alias() is None
