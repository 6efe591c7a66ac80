"""The live connectors' request policy (hudong.connectors.http) against a real HTTP server on loopback that answers
with the platforms' rate-limit headers: what is retried, how long it waits, when it gives up and hands back."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from hudong.connectors.base import Retry
from hudong.connectors.http import Http, exhausted, wait_asked


class Server:
    """Answers request n with ``script[n]`` = (status, headers); after the script, 200 with no headers."""

    def __init__(self, script: list[tuple[int, dict[str, str]]]):
        self.script, self.seen = list(script), []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                outer.seen.append(self.path)
                status, headers = outer.script.pop(0) if outer.script else (200, {})
                body = json.dumps({"n": len(outer.seen)}).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve():
    made = []

    def start(script):
        s = Server(script)
        made.append(s)
        return s

    yield start
    for s in made:
        s.close()


def client(url: str, slept: list[float], **kw) -> Http:
    return Http(url, who="test", first_wait=0.5, sleep=slept.append, **kw)


def test_5xx_and_429_are_retried_with_the_wait_the_server_asked_for(serve):
    s = serve([(503, {}), (429, {"retry-after": "7"}), (500, {})])
    slept: list[float] = []
    r = client(s.url, slept).request("GET", "/x")
    assert r.status_code == 200 and r.json() == {"n": 4} and len(s.seen) == 4
    assert slept[1] == 7.0  # Retry-After honoured
    assert 0 <= slept[0] <= 0.5 and 0 <= slept[2] <= 2.0  # full jitter under the doubling cap


def test_a_reset_header_on_a_5xx_is_not_a_reason_to_wait(serve):
    s = serve([(500, {"x-ratelimit-remaining": "599.0", "x-ratelimit-reset": "300"})])  # Reddit: on every answer
    slept: list[float] = []
    assert client(s.url, slept).request("GET", "/x").status_code == 200
    assert len(slept) == 1 and slept[0] <= 0.5  # the back-off, not the 300 s to the window's end
    s = serve([(429, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "7"})])  # rate limited: the reset counts
    slept = []
    assert client(s.url, slept).request("GET", "/x").status_code == 200
    assert slept[0] == 7


def test_other_statuses_go_back_to_the_connector_unretried(serve):
    s = serve([(400, {}), (401, {})])
    r = client(s.url, []).request("GET", "/x")
    assert r.status_code == 400 and len(s.seen) == 1


def test_a_long_wait_is_handed_back_as_retry_instead_of_slept(serve):
    s = serve([(429, {"retry-after": "3600"})])
    slept: list[float] = []
    with pytest.raises(Retry) as e:
        client(s.url, slept, max_wait=60).request("GET", "/x")
    assert e.value.after == 3600 and slept == [] and "asked to wait 3600 s" in str(e.value)


def test_giving_up_after_the_tries_names_the_last_failure(serve):
    s = serve([(502, {})] * 3)
    with pytest.raises(Retry, match="failed 3 times: HTTP 502"):
        client(s.url, [], tries=3).request("GET", "/x")
    assert len(s.seen) == 3


def test_an_exhausted_window_waits_for_its_reset_before_the_next_request(serve):
    reset = time.time() + 30  # Bluesky sends the reset as an epoch time
    s = serve([(200, {"ratelimit-remaining": "0", "ratelimit-reset": f"{reset:.0f}"})])
    slept: list[float] = []
    h = client(s.url, slept)
    h.request("GET", "/a")
    assert slept == []
    h.request("GET", "/b")
    assert len(slept) == 1 and 25 < slept[0] <= 31


def test_a_refused_connection_is_retried_then_reported():
    slept: list[float] = []
    with pytest.raises(Retry, match="ConnectError"):
        client("http://127.0.0.1:9", slept, tries=2).request("GET", "/x")  # port 9: nothing listens
    assert len(slept) == 1


def test_wait_headers_in_each_form_the_platforms_use():
    now = 1_800_000_000.0
    h = httpx.Headers
    assert wait_asked(h({"retry-after": "12"}), now) == 12  # seconds
    date = email.utils.formatdate(now + 90, usegmt=True)
    assert wait_asked(h({"retry-after": date}), now) == pytest.approx(90, abs=1)  # an HTTP date
    assert wait_asked(h({"x-ratelimit-reset": "45"}), now) == 45  # Reddit: seconds to the reset
    assert wait_asked(h({"ratelimit-reset": f"{now + 20:.0f}"}), now) == 20  # Bluesky: an epoch time
    iso = dt.datetime.fromtimestamp(now + 300, dt.UTC).isoformat().replace("+00:00", ".000Z")
    assert wait_asked(h({"x-ratelimit-reset": iso}), now) == pytest.approx(300)  # Mastodon: an ISO 8601 time
    assert wait_asked(h({"retry-after": "soon"}), now) is None and wait_asked(h({}), now) is None
    assert exhausted(h({"x-ratelimit-remaining": "0.0"})) and not exhausted(h({"ratelimit-remaining": "12"}))
