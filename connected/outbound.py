"""Outbound HTTP for webhooks and the SMS gateway: stdlib ``http.client``, nothing followed.

- Only ``http`` and ``https`` URLs.
- A target on a loopback, private, link-local or otherwise non-public address is refused
  unless ``WEBHOOK_ALLOW_PRIVATE`` (checked when a subscription is created AND when connecting:
  the name is resolved again and every address checked, so a name that later points inside
  the network is still refused).
- A redirect (3xx) is an answer like any other non-2xx: never followed.
- Every socket operation times out after ``WEBHOOK_TIMEOUT_SECONDS`` (default 5 s), and the
  whole exchange is cut at twice that: a slow receiver cannot hold a worker.
"""
from __future__ import annotations

import ipaddress
import socket
import time
import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MSG_SCHEME = "Địa chỉ phải bắt đầu bằng http:// hoặc https://."
MSG_HOST = "Địa chỉ thiếu tên máy chủ."
MSG_PRIVATE = "Địa chỉ trỏ vào mạng nội bộ hoặc máy này (loopback, mạng riêng); không được phép."
MSG_RESOLVE = "Không tìm thấy địa chỉ IP của máy chủ {host}."


class TargetRefused(Exception):
    pass


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False))


def timeout_seconds() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 5))


def address_public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_global and not (addr.is_multicast or addr.is_reserved)


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(MSG_RESOLVE.format(host=host)) from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def url_problems(url: str) -> list[str]:
    """Why `url` may not receive webhooks (empty: it may)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return [MSG_SCHEME]
    if parts.scheme not in ("http", "https"):
        return [MSG_SCHEME]
    if not parts.hostname:
        return [MSG_HOST]
    if _allow_private():
        return []
    try:
        addresses = _resolve(parts.hostname, port)
    except TargetRefused as exc:
        return [str(exc)]
    if not all(address_public(a) for a in addresses):
        return [MSG_PRIVATE]
    return []


def _nodelay(sock: socket.socket) -> socket.socket:
    # http.client sends the headers and the body in two writes: without TCP_NODELAY the body
    # waits for the receiver's delayed ACK (up to 40 ms per request on Linux)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **kw):
    return _nodelay(socket.create_connection(address, timeout, source_address))


def _guarded_create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **kw):
    host, port = address
    err = None
    for ip in _resolve(host, port):
        if not _allow_private() and not address_public(ip):
            raise TargetRefused(MSG_PRIVATE)
        try:
            return _nodelay(socket.create_connection((ip, port), timeout, source_address))
        except OSError as exc:
            err = exc
    raise err or OSError(f"cannot connect to {host}")


@dataclass
class Answer:
    status: int | None  # None: no answer (refused, timeout, network error)
    error: str = ""
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def receiver_trouble(self) -> bool:
        """Down, overloaded or broken (no answer, 5xx, 429): worth backing off the whole receiver."""
        return self.status is None or self.status >= 500 or self.status == 429


class Poster:
    """POSTs to one origin, keeping the connection open between requests (one per worker)."""

    def __init__(self, url: str, *, guard: bool = True):
        self.url, self.guard = url, guard
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.netloc = parts.netloc.rsplit("@", 1)[-1]
        self.conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = cls(self.host, self.port, timeout=timeout_seconds())
            # webhooks are guarded; the operator's own SMS gateway is not
            conn._create_connection = _guarded_create_connection if self.guard else _create_connection
            self.conn = conn
        return self.conn

    def post(self, body: bytes, headers: dict[str, str]) -> Answer:
        started = time.monotonic()
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: reopen once
            conn = self._connection()
            try:
                conn.request("POST", self.path, body=body, headers={
                    "Host": self.netloc, "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "OneCua-Webhooks/1", **headers,
                })
                response = conn.getresponse()
                data = response.read(64 * 1024)
                if response.will_close or time.monotonic() - started > 2 * timeout_seconds():
                    self.close()
                if time.monotonic() - started > 2 * timeout_seconds():
                    return Answer(None, "quá thời gian chờ")
                return Answer(response.status, "" if 200 <= response.status < 300 else f"HTTP {response.status}", data)
            except TargetRefused as exc:
                self.close()
                return Answer(None, str(exc))
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()
                if attempt == 2 or time.monotonic() - started > timeout_seconds():
                    return Answer(None, f"{type(exc).__name__}: {exc}"[:500])
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                kind = "quá thời gian chờ" if isinstance(exc, (socket.timeout, TimeoutError)) else f"{type(exc).__name__}: {exc}"
                return Answer(None, kind[:500])
        return Answer(None, "không gửi được")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
