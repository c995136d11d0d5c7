"""Writing generated rows fast, for the district generator (web/demo_district.py).

`BulkWriter` writes rows with ids chosen here, so that rows can point at each other before anything is
saved: on PostgreSQL through COPY (psycopg 3's `cursor.copy` and `write_row`), elsewhere (SQLite, for
tests and small districts) through executemany. After each table is written its id sequence is moved
past the new rows, so the ORM's own inserts that follow (services, history) get fresh ids.

Model instances can be written as they are (`instances`): the values of their concrete fields, foreign
keys read from the related instance when it was assigned by reference, and `auto_now(_add)` fields set
to the writer's `now`. `history` writes the creation rows simple_history's bulk helpers would write.
"""

import datetime
import time
from collections.abc import Iterable, Sequence

from django.core.management.color import no_style
from django.db import connection as default_connection
from django.db import models
from django.db.models import Max

UTC = datetime.UTC


def _sqlite_value(value):
    """What Django's SQLite backend stores for a value: naive UTC datetimes, ISO dates, 0/1 booleans."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return str(value)  # TextChoices members: their plain value
    return value


class BulkWriter:
    def __init__(self, *, now: datetime.datetime, connection=None):
        self.connection = connection or default_connection
        self.postgres = self.connection.vendor == "postgresql"
        self.now = now
        self.written: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # per table: generating and writing its rows

    # ---- ids ------------------------------------------------------------------------------------------

    def reserve(self, model: type[models.Model], count: int) -> int:
        """The first of `count` consecutive free ids of `model` (the caller writes them before any other
        insert into the table). Rows already there keep theirs; the generator runs alone on the database."""
        highest = model._default_manager.aggregate(m=Max("pk"))["m"] or 0
        return highest + 1

    def assign_ids(self, instances: Sequence[models.Model]) -> None:
        if not instances:
            return
        first = self.reserve(type(instances[0]), len(instances))
        for offset, instance in enumerate(instances):
            instance.pk = first + offset

    def sync_sequences(self, *model_classes: type[models.Model]) -> None:
        """Move each table's id sequence past its highest id (PostgreSQL; SQLite's AUTOINCREMENT follows
        explicit ids by itself)."""
        if not self.postgres or not model_classes:
            return
        with self.connection.cursor() as cursor:
            for sql in self.connection.ops.sequence_reset_sql(no_style(), list(model_classes)):
                cursor.execute(sql)

    # ---- rows -----------------------------------------------------------------------------------------

    def rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """Write tuples of values, in `columns` order, into `table`. Returns the number written."""
        quote = self.connection.ops.quote_name
        column_sql = ", ".join(quote(c) for c in columns)
        count = 0
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {quote(table)} ({column_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                sql = f"INSERT INTO {quote(table)} ({column_sql}) VALUES ({', '.join(['%s'] * len(columns))})"
                batch = []
                for row in rows:
                    batch.append([_sqlite_value(v) for v in row])
                    if len(batch) >= 2000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.written[table] = self.written.get(table, 0) + count
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - started
        return count

    def update(self, table: str, key: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        """Set `columns` of the rows whose `key` is each tuple's first value (the rest in order)."""
        rows = list(rows)
        if not rows:
            return 0
        quote = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    f"CREATE TEMP TABLE _bulk_update ON COMMIT DROP AS "
                    f"SELECT {quote(key)}, {', '.join(quote(c) for c in columns)} FROM {quote(table)} LIMIT 0"
                )
                names = ", ".join(quote(c) for c in [key, *columns])
                with cursor.cursor.copy(f"COPY _bulk_update ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                sets = ", ".join(f"{quote(c)} = u.{quote(c)}" for c in columns)
                cursor.execute(
                    f"UPDATE {quote(table)} t SET {sets} FROM _bulk_update u WHERE t.{quote(key)} = u.{quote(key)}"
                )
                cursor.execute("DROP TABLE _bulk_update")
            else:
                sets = ", ".join(f"{quote(c)} = %s" for c in columns)
                sql = f"UPDATE {quote(table)} SET {sets} WHERE {quote(key)} = %s"
                cursor.executemany(sql, [[_sqlite_value(v) for v in (*row[1:], row[0])] for row in rows])
        return len(rows)

    # ---- model instances ------------------------------------------------------------------------------

    @staticmethod
    def _value_getters(model: type[models.Model]):
        getters = []
        for field in model._meta.concrete_fields:
            if field.is_relation:
                getters.append((field.attname, field.name, None))
            elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                getters.append((field.attname, None, "now"))
            else:
                getters.append((field.attname, None, None))
        return getters

    def _instance_rows(self, instances: Sequence[models.Model], getters):
        now = self.now
        for instance in instances:
            cache = instance._state.fields_cache
            row = []
            for attname, relation, special in getters:
                value = getattr(instance, attname)
                if relation is not None and value is None:
                    related = cache.get(relation)
                    if related is not None:
                        value = related.pk
                        setattr(instance, attname, value)
                elif special == "now" and value is None:
                    value = now
                    setattr(instance, attname, value)
                row.append(value)
            instance._state.adding = False
            instance._state.db = self.connection.alias
            yield row

    def instances(self, instances: Sequence[models.Model]) -> int:
        """Write unsaved instances whose ids were set by `assign_ids` (and those of what they point at)."""
        if not instances:
            return 0
        model = type(instances[0])
        getters = self._value_getters(model)
        columns = [model._meta.get_field(attname).column for attname, _r, _s in getters]
        count = self.rows(model._meta.db_table, columns, self._instance_rows(instances, getters))
        self.sync_sequences(model)
        return count

    def history(self, instances: Sequence[models.Model], reason: str) -> int:
        """The creation row of each written instance in its simple_history table ("+", no user)."""
        if not instances:
            return 0
        model = type(instances[0])
        historical = model.history.model
        first = self.reserve(historical, len(instances))
        fields = historical._meta.concrete_fields
        columns = [f.column for f in fields]
        plan = []
        for field in fields:
            if field.attname == "history_id":
                plan.append(("id",))
            elif field.attname == "history_date":
                plan.append(("const", self.now))
            elif field.attname == "history_change_reason":
                plan.append(("const", reason))
            elif field.attname == "history_type":
                plan.append(("const", "+"))
            elif field.attname == "history_user_id":
                plan.append(("const", None))
            else:
                plan.append(("attr", field.attname))

        def rows():
            for offset, instance in enumerate(instances):
                yield [
                    first + offset
                    if step[0] == "id"
                    else step[1]
                    if step[0] == "const"
                    else getattr(instance, step[1])
                    for step in plan
                ]

        count = self.rows(historical._meta.db_table, columns, rows())
        self.sync_sequences(historical)
        return count
