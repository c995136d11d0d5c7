"""Reads from a replica only where the code asks for it.

A read replica lags behind the primary (by milliseconds, or by minutes when it is busy or cut off), so
routing every read there would show a resident a tracking page without the request they have just filed,
or a leader a queue without the request they have just taken. Reads therefore stay on the primary unless
they run inside `replica_reads()`, which the heavy read-only pages use (the figures page and its export,
the roster export): pages that change nothing and can stand being a few seconds behind.

Inside `replica_reads()`:
- reads go to one replica picked for the whole block (LINLI_DATABASE_REPLICAS, from
  DATABASE_REPLICA_URLS), so a page reads one consistent copy;
- writes (the access log of an export, say) still go to the primary, as does anything that locks rows
  (select_for_update asks the router for the write database);
- reads inside a transaction on the primary stay on the primary: the transaction must see its own writes.
Without replicas configured, `replica_reads()` changes nothing.
"""

import contextlib
import random
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_replica: ContextVar[str | None] = ContextVar("linli_replica", default=None)


@contextlib.contextmanager
def replica_reads():
    """Send this block's reads to a read replica (a context manager and a decorator)."""
    replicas = list(getattr(settings, "LINLI_DATABASE_REPLICAS", []))
    token = _replica.set(random.choice(replicas) if replicas else None)  # noqa: S311 — spreading load
    try:
        yield
    finally:
        _replica.reset(token)


def replica_alias() -> str | None:
    """The replica this block reads from, or None when reads go to the primary."""
    alias = _replica.get()
    if alias is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return None
    return alias


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads to a replica inside replica_reads(), everything else to the primary."""

    def db_for_read(self, model, **hints):
        return replica_alias() or DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # replicas get the schema by replication
