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
        parser.add_argument(
            "--scale",
            choices=["community", "district"],
            default="community",
            help="community (default): the demo street of two communities. district: 10 streets, 60 "
            "communities, about 200,000 households and a year of history, for benchmarks (PostgreSQL; "
            "about 10 minutes). See web/demo_district.py.",
        )
        district = parser.add_argument_group("district scale (--scale district)")
        district.add_argument("--households", type=int, default=None, help="households (default 200000)")
        district.add_argument("--streets", type=int, default=None, help="streets (default 10)")
        district.add_argument(
            "--communities-per-street", type=int, default=None, help="communities per street (default 6)"
        )
        district.add_argument(
            "--requests", type=int, default=None, help="requests over the year (default 5 per household)"
        )
        district.add_argument(
            "--care-contacts", type=int, default=None, help="care contacts, about (default 10 per household)"
        )
        district.add_argument("--campaigns", type=int, default=None, help="outreach campaigns (default 100)")

    def handle(self, *args, seed, if_empty, password, scale, **options):
        if not password:
            raise CommandError("--password must not be empty.")
        district_options = ["households", "streets", "communities_per_street", "requests", "care_contacts",
                            "campaigns"]  # fmt: skip
        given = {name: options[name] for name in district_options if options.get(name) is not None}
        if scale != "district" and given:
            raise CommandError("--households, --streets, … only apply to --scale district.")
        shape = None
        if scale == "district":
            from web.demo_district import DistrictShape

            try:
                shape = DistrictShape(**given)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
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

        if scale == "district":
            self.build_district(seed=seed, password=password, shape=shape)
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

    def build_district(self, *, seed: int, password: str, shape) -> None:
        from web.demo_district import district_build, district_totals

        self.stdout.write(
            f"Building a district of {shape.streets} streets, {shape.communities} communities, about "
            f"{shape.households:,} households and {shape.request_count:,} requests (seed {seed}) …"
        )
        started = time.perf_counter()

        def report(stage: str, seconds: float) -> None:
            self.stdout.write(f"  {stage:<12} {seconds:7.1f} s")
            self.stdout.flush()

        result = district_build(shape, seed=seed, password=password, report=report)
        self.stdout.write(f"  {'total':<12} {time.perf_counter() - started:7.1f} s")
        inner = ["registry plan", "registry write", "requests load"]
        self.stdout.write("  (of which " + ", ".join(f"{k} {result.seconds[k]:.1f} s" for k in inner) + ")")
        self.stdout.write("")
        totals = {
            **district_totals(),
            **{k: v for k, v in result.counts.items() if k.startswith("requests ")},
        }
        self.stdout.write(format_table([{"what": k, "count": f"{v:,}"} for k, v in totals.items()]))
        self.print_logins(password)

    def print_logins(self, password: str, note: str = "") -> None:
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins {note}".rstrip()))
        self.stdout.write(format_table(demo_login_rows(password)))
