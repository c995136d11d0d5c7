import copy

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from linli.testing import build_cast

# A stand-in read replica for the routing tests (linli/tests/test_db_router.py): the same test database
# under another alias and connection. Nothing reads from it unless a test lists it in
# LINLI_DATABASE_REPLICAS and asks for it with @pytest.mark.django_db(databases=[..., TEST_REPLICA]).
TEST_REPLICA = "replica"
if TEST_REPLICA not in connections.settings:
    _replica = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
    _replica["TEST"] = {**_replica["TEST"], "MIRROR": DEFAULT_DB_ALIAS, "NAME": None}
    connections.settings[TEST_REPLICA] = _replica


@pytest.fixture
def cast(db):
    """The named users and territory of linli.testing.Cast, built fresh for each test."""
    return build_cast()


@pytest.fixture(autouse=True)
def _chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    settings.AXES_ENABLED = False
    # Argon2 is slow on purpose; tests need no protection against password cracking.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_after_commit(settings):
    """Tasks run in the test's own process when they are enqueued, which services do on commit: in a test
    wrapped in a transaction (the `db` fixture) nothing runs, as before tasks existed; a test that wants
    the effect commits (transactional_db) or runs the callbacks (django_capture_on_commit_callbacks).
    Tests about enqueueing itself switch to the DummyBackend, which records without running."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}
    }
    settings.LINLI_DATABASE_REPLICAS = []
