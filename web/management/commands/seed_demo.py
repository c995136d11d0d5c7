"""`manage.py seed_demo`: build the demo street (see web/demo.py) and print one login per role."""

import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError

from web.demo import DEFAULT_PASSWORD, DEFAULT_SEED, demo_build, demo_exists, demo_login_rows, demo_totals
from web.demo_care import demo_care_build, demo_care_totals, demo_outreach_build
from web.demo_requests import demo_request_totals, demo_requests_build


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(rows: list[dict[str, str]]) -> str:
    """A plain-text table that lines up Chinese (double-width) and Latin text in a terminal."""
    if not rows:
        return ""
    columns = list(rows[0])
    widths = {c: max(_width(c), *(_width(str(r[c])) for r in rows)) for c in columns}
    lines = ["  ".join(_pad(c, widths[c]) for c in columns).rstrip()]
    lines.append("  ".join("-" * widths[c] for c in columns))
    lines += ["  ".join(_pad(str(r[c]), widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "Build the demo street office (two communities, households, residents, leaders) and print one "
        "demo login per role. Deterministic for a seed; refuses to run on a database that already has a street."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="when a street office already exists, build nothing and just print the demo logins",
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=f"password of every demo user (default {DEFAULT_PASSWORD})",
        )

    def handle(self, *args, seed, if_empty, password, **options):
        if not password:
            raise CommandError("--password must not be empty.")
        if demo_exists():
            if not if_empty:
                raise CommandError(
                    "The database already holds a street office; seed_demo only builds into an empty database "
                    "and will not add a second copy. Use --if-empty to just print the demo logins, or start "
                    "afresh (delete var/linli.sqlite3, then manage.py migrate)."
                )
            self.stdout.write("Demo data already present: nothing built.")
            self.print_logins(password, note="(password as given when the demo was seeded)")
            return

        self.stdout.write(f"Building the demo street (seed {seed}) …")
        started = time.perf_counter()

        def report(stage: str, seconds: float) -> None:
            self.stdout.write(f"  {stage:<12} {seconds:6.2f} s")

        demo_build(seed=seed, password=password, report=report)
        report("requests", demo_requests_build(seed=seed)["seconds"])
        report("care", demo_care_build(seed=seed)["seconds"])
        report("outreach", demo_outreach_build(seed=seed)["seconds"])
        self.stdout.write(f"  {'total':<12} {time.perf_counter() - started:6.2f} s")
        self.stdout.write("")
        totals = {**demo_totals(), **demo_request_totals(), **demo_care_totals()}
        self.stdout.write(format_table([{"what": k, "count": str(v)} for k, v in totals.items()]))
        self.print_logins(password)

    def print_logins(self, password: str, note: str = "") -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins {note}".rstrip()))
        self.stdout.write(format_table(demo_login_rows(password)))
