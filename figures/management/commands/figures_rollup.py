import datetime
import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from figures.services import rollup_rebuild, rollup_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the daily request rollups the figures page reads. Without --days: only the past days "
        "that were never rolled up or changed since. With --days N: the last N full days outright."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="rebuild the last N full days")

    def handle(self, *args, days=None, **options):
        started = time.monotonic()
        if days is None:
            count = rollup_refresh()
            self.stdout.write(f"{count} days rebuilt in {time.monotonic() - started:.1f} s")
            return
        today = timezone.localdate()
        rows = rollup_rebuild(
            today - datetime.timedelta(days=max(days, 1)), today - datetime.timedelta(days=1)
        )
        self.stdout.write(f"{days} days, {rows} rollup rows rebuilt in {time.monotonic() - started:.1f} s")
