"""A local stand-in for WeCom and DingTalk group robots: an HTTP server on 127.0.0.1 that records what is
POSTed to it and answers as the robots do ({"errcode": 0, "errmsg": "ok"}), or as told."""

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notices.models import ChannelKind, OutboundChannel


@dataclass
class Received:
    path: str
    query: dict
    headers: dict
    payload: object


@dataclass
class Robot:
    base: str = ""
    received: list = field(default_factory=list)
    status: int = 200
    answer: object = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    headers: dict = field(default_factory=dict)
    delay: float = 0

    def webhook(self, token: str = "t0ken") -> str:
        return f"{self.base}/robot/send?access_token={token}"


def _handler(robot: Robot):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            split = urllib.parse.urlsplit(self.path)
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = raw
            robot.received.append(
                Received(split.path, urllib.parse.parse_qs(split.query), dict(self.headers), payload)
            )
            if robot.delay:
                time.sleep(robot.delay)
            body = robot.answer if isinstance(robot.answer, bytes) else json.dumps(robot.answer).encode()
            self.send_response(robot.status)
            for name, value in {"Content-Type": "application/json", **robot.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    return Handler


@pytest.fixture
def robot(monkeypatch, settings):
    """A running robot server; `robot.webhook()` is a URL to configure a channel with. It listens on
    the loopback address, which channels refuse unless LINLI_OUTBOUND_ALLOW_PRIVATE is set."""
    settings.LINLI_OUTBOUND_ALLOW_PRIVATE = True
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    state = Robot()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_port}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def wecom(cast, robot):
    return OutboundChannel.objects.create(
        community=cast.community, kind=ChannelKind.WECOM, name="社区工作群", target=robot.webhook()
    )
