"""From outside: a real gunicorn (the image's config file) behind a real forwarding proxy hop.

Issue 18 items 1 and 6. gunicorn runs ``docker/gunicorn.conf.py`` on loopback; a small HTTP
proxy written here forwards to it from its own source address (127.0.0.2, the only entry of
``TRUSTED_PROXIES``) and appends the address it saw to ``X-Forwarded-For``, as nginx's
``$proxy_add_x_forwarded_for`` does. Clients connect from distinct loopback addresses
(127.0.0.3, 127.0.0.4) through the proxy, and an attacker connects to gunicorn directly.

What the application believes is observed through the public lookup's per-address limit
(``PUBLIC_LOOKUP_RATE_LIMIT=2``): an empty lookup is counted before the form is read, so no
database is needed and gunicorn runs on a scratch SQLite file and file cache.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROXY_SOURCE = "127.0.0.2"
LOOKUP = "/tra-cuu-ho-so/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Forwarder(BaseHTTPRequestHandler):
    """One proxy hop: forwards from PROXY_SOURCE, appends the client's address to X-Forwarded-For."""

    upstream: tuple[str, int]
    protocol_version = "HTTP/1.0"

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"connection", "x-forwarded-for"}}
        seen = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{seen}, {self.client_address[0]}" if seen else self.client_address[0]
        conn = http.client.HTTPConnection(*self.upstream, timeout=30, source_address=(PROXY_SOURCE, 0))
        conn.request(self.command, self.path, body=body, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in {"connection", "transfer-encoding", "content-length"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = _forward

    def log_message(self, *args):  # quiet
        pass


def _image_command(port: int) -> list[str]:
    """The image's own CMD (docker/Dockerfile), bound to a free loopback port instead of 8000."""
    line = next(ln for ln in (ROOT / "docker" / "Dockerfile").read_text().splitlines() if ln.startswith("CMD "))
    argv = json.loads(line[4:])
    if "--bind" in argv:
        argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    if "--workers" in argv:
        argv[argv.index("--workers") + 1] = "1"
    return [str(Path(sys.executable).parent / argv[0]), *argv[1:]]


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("edge")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "TRUSTED_PROXY_COUNT", "CELERY_BROKER_URL"}}
    env.update(
        DEBUG="true", SECRET_KEY="edge-test", ALLOWED_HOSTS="127.0.0.1,localhost", ONECUA_VAR_DIR=str(tmp),
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}", TRUSTED_PROXIES=PROXY_SOURCE,
        PUBLIC_LOOKUP_RATE_LIMIT="2", PUBLIC_LOOKUP_RATE_WINDOW_SECONDS="600",
        GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1", GUNICORN_ACCESS_LOG=str(tmp / "access.log"),
    )
    server = subprocess.Popen(
        _image_command(port), cwd=ROOT, env=env, stdout=open(tmp / "gunicorn.out", "w"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + (tmp / "gunicorn.out").read_text())
            time.sleep(0.2)
    handler = type("Forwarder", (_Forwarder,), {"upstream": ("127.0.0.1", port)})
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    yield {"app": port, "proxy": proxy.server_address[1], "logs": [tmp / "access.log", tmp / "gunicorn.out"]}
    proxy.shutdown()
    server.terminate()
    server.wait(timeout=30)


class _Browser:
    """A client from its own source address, keeping cookies, posting the lookup form."""

    def __init__(self, port: int, source: str):
        self.port, self.source, self.cookies = port, source, {}

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        answer = conn.getresponse()
        content = answer.read().decode()
        for key, value in answer.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";")[0]
        conn.close()
        return answer.status, content

    def lookup(self, headers: dict | None = None) -> int:
        _status, page = self.request("GET", LOOKUP)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.request("POST", LOOKUP, {"csrfmiddlewaretoken": token, "code": "", "digits": ""}, headers)
        return status


def test_forwarded_address_is_believed_only_from_the_trusted_proxy(edge):
    """Through the proxy, two clients are two addresses, and a forged X-Forwarded-For changes
    nothing (the proxy appended the real address to its right). Directly at gunicorn, an
    attacker sending his own X-Forwarded-For is still his REMOTE_ADDR: three "different"
    addresses hit one limit of 2."""
    alice, bob = _Browser(edge["proxy"], "127.0.0.3"), _Browser(edge["proxy"], "127.0.0.4")
    assert [alice.lookup(), alice.lookup()] == [200, 200]
    assert alice.lookup() == 429
    assert bob.lookup(headers={"X-Forwarded-For": "127.0.0.3"}) == 200  # forging alice's address: bob is bob
    assert bob.lookup(headers={"X-Forwarded-For": "198.51.100.1"}) == 200
    assert bob.lookup(headers={"X-Forwarded-For": "198.51.100.2"}) == 429  # a fresh forged address each time: still bob

    mallory = _Browser(edge["app"], "127.0.0.5")
    answers = [mallory.lookup(headers={"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(3)]
    assert answers == [200, 200, 429]


def test_access_log_holds_no_query_string(edge):
    """The image's gunicorn access log (its CMD as written in docker/Dockerfile): the path,
    never ``?q=<CCCD>`` nor a referer's query."""
    client = _Browser(edge["app"], "127.0.0.6")
    client.request("GET", "/tra-cuu/?q=001099012345", headers={"Referer": "http://x/tra-cuu/?q=0912345678"})
    client.request("GET", "/tiep-nhan/nguoi-nop.json?id_number=001099012345")
    time.sleep(0.5)
    log = "".join(p.read_text() for p in edge["logs"] if p.exists())
    assert "/tra-cuu/" in log and "/tiep-nhan/nguoi-nop.json" in log
    assert "001099012345" not in log and "0912345678" not in log and "?" not in log


def test_compose_publishes_only_the_proxy_and_trusts_only_its_address():
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    services = compose["services"]
    published = sorted(name for name, s in services.items() if s.get("ports"))
    assert published == ["proxy"]
    proxy_ip = services["proxy"]["networks"]["default"]["ipv4_address"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == proxy_ip
    assert "TRUSTED_PROXY_COUNT" not in services["web"]["environment"]
    nginx = (ROOT / "docker" / "nginx.conf").read_text()
    assert "$proxy_add_x_forwarded_for" in nginx and "$request_uri\"" not in nginx and "$args" not in nginx


def test_the_old_proxy_count_is_refused_at_start_up(tmp_path):
    """TRUSTED_PROXY_COUNT believed X-Forwarded-For from anyone; a deployment still setting it
    must notice instead of silently losing its proxy handling."""
    env = {**os.environ, "DEBUG": "true", "TRUSTED_PROXY_COUNT": "1", "ONECUA_VAR_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode != 0 and "TRUSTED_PROXY_COUNT is replaced by TRUSTED_PROXIES" in run.stderr
    env.update(TRUSTED_PROXY_COUNT="0", TRUSTED_PROXIES="10.0.0.0/8,not-a-network")
    run = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert run.returncode != 0 and "TRUSTED_PROXIES" in run.stderr
