"""SMS gateways: one small class per provider behind one interface (D22).

``SMS_URL`` configures the gateway; ``SMS_PROVIDER`` picks the class (default ``json``):

- ``json`` (:class:`JsonHttpGateway`): ``POST SMS_URL`` with ``{"to": "<phone>", "text": "…",
  "id": "<notice id>"}`` (UTF-8 JSON), header ``Authorization: Bearer <SMS_TOKEN>`` when set;
  any 2xx is sent, anything else (or no answer within the timeout) fails and is retried.
- no ``SMS_URL``: :class:`ConsoleGateway` writes the message to the log (phone masked), as
  ``EMAIL_URL=consolemail://`` does for e-mail in development.

A new provider is a class with ``send(*, to, text, ref) -> None`` that raises
:class:`SmsError` on failure, added to :data:`PROVIDERS`.
"""
from __future__ import annotations

import json
import logging

from django.conf import settings

from connected.outbound import Poster
from dossiers.pii import mask_phone

logger = logging.getLogger(__name__)


class SmsError(Exception):
    pass


class JsonHttpGateway:
    """A generic JSON-over-HTTP gateway (most Vietnamese brandname-SMS providers accept one)."""

    def __init__(self, url: str, token: str = ""):
        self.poster = Poster(url, guard=False)  # configured by the operator, may be internal
        self.token = token

    def send(self, *, to: str, text: str, ref: str) -> None:
        body = json.dumps({"to": to, "text": text, "id": ref}, ensure_ascii=False).encode("utf-8")
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        answer = self.poster.post(body, headers)
        if not answer.ok:
            raise SmsError(answer.error or "gateway refused")

    def close(self) -> None:
        self.poster.close()


class ConsoleGateway:
    def send(self, *, to: str, text: str, ref: str) -> None:
        logger.info("SMS %s to %s: %s", ref, mask_phone(to), text)

    def close(self) -> None:
        pass


PROVIDERS = {"json": JsonHttpGateway}


def sms_gateway():
    url = getattr(settings, "SMS_URL", "") or ""
    if not url:
        return ConsoleGateway()
    provider = getattr(settings, "SMS_PROVIDER", "json") or "json"
    return PROVIDERS[provider](url, getattr(settings, "SMS_TOKEN", "") or "")
