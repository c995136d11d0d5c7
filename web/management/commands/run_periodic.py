"""`manage.py run_periodic`: the rules engine (deadline escalation, closing unrated requests, …).

    manage.py run_periodic            one pass, then exit (cron-friendly; same as --once)
    manage.py run_periodic --loop     a pass every --interval seconds until SIGTERM or Ctrl-C

Safe to run twice at once (each rule locks and re-checks its rows), so a deploy may start the new copy
before stopping the old one. In production run it under systemd or supervisor beside gunicorn, e.g.
`ExecStart=/srv/linli/.venv/bin/python manage.py run_periodic --loop` with `Restart=always`.
"""

import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from web.periodic import periodic_did_something, periodic_pass

log = logging.getLogger("linli.periodic")


def _refresh_connection() -> None:
    """Drop a connection that broke or outlived CONN_MAX_AGE, as Django does between web requests;
    never inside a caller's transaction (a test, or call_command from code)."""
    if not connection.in_atomic_block:
        close_old_connections()


class Command(BaseCommand):
    help = "Run the periodic rules (escalate overdue requests, close unrated ones) once or in a loop."

    def add_arguments(self, parser):
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--loop", action="store_true", help="keep running, one pass every --interval")
        mode.add_argument("--once", action="store_true", help="run one pass and exit (the default)")
        parser.add_argument(
            "--interval", type=float, default=60, help="seconds between passes with --loop (default 60)"
        )

    def handle(self, *args, loop, once, interval, **options):
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        if not loop:
            counts = periodic_pass()
            self.stdout.write(self.line(counts))
            return
        self.stop = threading.Event()
        previous = {sig: signal.signal(sig, self.on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"run_periodic: started, one pass every {interval:g} s (SIGTERM or Ctrl-C stops)")
        passes = 0
        try:
            while not self.stop.is_set():
                _refresh_connection()
                try:
                    counts = periodic_pass()
                except Exception:  # a bad row or a lost connection must not end the loop
                    log.exception("periodic pass failed; trying again in %s s", interval)
                else:
                    passes += 1
                    if periodic_did_something(counts):
                        self.stdout.write(self.line(counts))
                self.stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"run_periodic: stopped after {passes} passes")

    def on_signal(self, signum, frame):
        # Only set a flag: the pass under way finishes its transaction, then the loop ends.
        self.stop.set()

    @staticmethod
    def line(counts: dict) -> str:
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        # Every rule's count, as periodic_pass names it: a new rule shows up here by itself.
        done = ", ".join(
            f"{name.replace('_', ' ')} {value}" for name, value in counts.items() if name != "seconds"
        )
        return f"{stamp} {done} ({counts['seconds']:.2f} s)"
