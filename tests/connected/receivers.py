"""Real protocol endpoints for the connected tests, in the test process.

- :class:`HttpReceiver`: a stdlib ``http.server`` in a thread (HTTP/1.1, keep-alive) that
  records every POST, verifies each webhook's ``X-OneCua-Signature`` against the secret, and can
  answer 500 for the first N requests, answer slowly, or answer a redirect.
- :class:`SmtpReceiver`: an ``aiosmtpd`` SMTP server (its own thread) that keeps every message.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from connected.events import signature_valid


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpReceiver:
    def __init__(self, *, secret: str = "", fail_first: int = 0, delay: float = 0.0, redirect: bool = False, port: int = 0, fail_at: frozenset[int] = frozenset()):
        self.secret, self.fail_first, self.delay, self.redirect = secret, fail_first, delay, redirect
        self.fail_at = fail_at  # request numbers (from 0) answered 500
        self.requests: list[dict] = []  # every POST, in arrival order
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # the headers and the body are two writes: without this, Nagle's algorithm holds the
            # body until the client's delayed ACK (40 ms per request on Linux)
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    n = len(receiver.requests)
                    item = {
                        "path": self.path, "raw": raw, "headers": dict(self.headers), "at": time.time(),
                        "signature_ok": signature_valid(receiver.secret, raw, self.headers.get("X-OneCua-Signature"))
                        if receiver.secret else None,
                    }
                    try:
                        item["json"] = json.loads(raw)
                    except ValueError:
                        item["json"] = None
                    receiver.requests.append(item)
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.redirect:
                    status = 302
                else:
                    status = 500 if n < receiver.fail_first or n in receiver.fail_at else 200
                item["status"] = status
                body = b"{}"
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def accepted(self) -> list[dict]:
        """The requests answered 2xx."""
        with self.lock:
            return [r for r in self.requests if r.get("status") == 200]


class SmtpReceiver:
    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                msg = message_from_bytes(envelope.content)
                receiver.messages.append({"to": list(envelope.rcpt_tos), "msg": msg,
                                          "subject": str(make_header(decode_header(msg["Subject"] or ""))),
                                          "body": _text(msg)})
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def _text(msg) -> str:
    if msg.is_multipart():
        return "".join(_text(part) for part in msg.get_payload())
    payload = msg.get_payload(decode=True) or b""
    return payload.decode(msg.get_content_charset() or "utf-8")
