"""The ``<dossier_code:code>`` path converter: every dossier code the database can hold has a URL.

D15 codes (``000.00.12.H23-220128-0001``) and the URL-safe legacy codes the imports accept
pass through unchanged. A code stored before imports checked their alphabet may hold a ``/``
(legacy codes often do: ``123/2021/TNHS``); ``reverse()`` would leave it as a path separator,
and every list that links such a dossier answered 500 (``NoReverseMatch``). The converter
writes ``/`` as ``~2F`` and ``~`` itself as ``~7E`` (reversible whatever the code holds; the
imports refuse both characters, so new codes never need it). Other characters (spaces, ``?``,
``#``, ``%``) are percent-encoded by ``reverse()`` and decoded by the server as usual.
"""
from __future__ import annotations

import re

from django.urls import register_converter

_ESCAPES = {"~": "~7E", "/": "~2F"}
_UNESCAPE = re.compile(r"~(7E|2F)", re.IGNORECASE)


class DossierCodeConverter:
    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return _UNESCAPE.sub(lambda m: "~" if m.group(1).upper() == "7E" else "/", value)

    def to_url(self, value: str) -> str:
        return "".join(_ESCAPES.get(ch, ch) for ch in str(value))


register_converter(DossierCodeConverter, "dossier_code")
