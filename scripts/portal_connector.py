#!/usr/bin/env python3
"""An example national-portal connector: receives OneCua webhooks, prints the mapped status.

    python scripts/portal_connector.py --port 8765 --secret SECRET [--map scripts/portal_status_map.csv]

It is what a connector to the National Public Service Portal (or the province's LGSP) does
with OneCua's events, without the portal's own API call (left to the real connector):

1. checks ``X-OneCua-Signature`` (HMAC-SHA256 of the raw body with the subscription's
   secret); a wrong one answers 401 and is not retried into the portal;
2. drops an event id it has already seen (OneCua delivers at least once) and an event older
   (``dossier.version``) than the last one handled for the same dossier;
3. maps (OneCua status, event type) to the portal's status code with the table in
   ``--map`` (a CSV file: ``onecua_status,event_type,portal_code,portal_name``; a row with an
   event type wins over the status's row; ``*`` matches any status): edit the file, not code;
4. prints one JSON line per event: ``{"event_id", "type", "code", "version", "status",
   "portal_code", "portal_name", "due_date", "appointment_date"}`` and answers 200.

Standard library only; runs outside OneCua's environment.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEFAULT_MAP = Path(__file__).with_name("portal_status_map.csv")


def load_map(path: Path) -> dict[tuple[str, str], tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return {(r["onecua_status"].strip(), r["event_type"].strip()): (r["portal_code"].strip(), r["portal_name"].strip())
                for r in csv.DictReader(f)}


def portal_status(table, status: str, event_type: str) -> tuple[str, str] | None:
    """The portal's (code, name) for an event: (status, type), then (*, type), then (status, '')."""
    for key in ((status, event_type), ("*", event_type), (status, "")):
        if key in table:
            return table[key]
    return None


def signature_ok(secret: str, raw: bytes, header: str | None) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return bool(header) and hmac.compare_digest(expected, header)


def make_server(port: int, secret: str, table, out=sys.stdout) -> ThreadingHTTPServer:
    seen: set[str] = set()
    last_version: dict[str, int] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # answer at once (no 40 ms delayed-ACK stall per event)

        def log_message(self, *args):
            pass

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not signature_ok(secret, raw, self.headers.get("X-OneCua-Signature")):
                return self._answer(401)
            event = json.loads(raw)
            dossier = event["dossier"]
            with lock:
                if event["id"] in seen or dossier["version"] < last_version.get(dossier["code"], -1):
                    return self._answer(200)  # a repeat, or older than what the portal has
                seen.add(event["id"])
                last_version[dossier["code"]] = dossier["version"]
                mapped = portal_status(table, dossier["status"], event["type"]) or ("", "")
                out.write(json.dumps({
                    "event_id": event["id"], "type": event["type"], "code": dossier["code"],
                    "version": dossier["version"], "status": dossier["status"], "portal_code": mapped[0],
                    "portal_name": mapped[1], "due_date": dossier.get("due_date"),
                    "appointment_date": dossier.get("appointment_date"),
                }, ensure_ascii=False) + "\n")
                out.flush()
            return self._answer(200)

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--map", type=Path, default=DEFAULT_MAP)
    args = parser.parse_args(argv)
    server = make_server(args.port, args.secret, load_map(args.map))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
