"""Notice templates (D22): ``{placeholder}`` substitution over a fixed set of facts. Pure.

A template names facts in braces, e.g. ``Hồ sơ {ma_ho_so} đã có kết quả``. Only the names of
:data:`PLACEHOLDERS` exist: a template naming another one is refused when saved
(:func:`template_errors`), and nothing personal but the applicant's own name can be named at
all: never the CCCD, never the phone (:func:`leaks` checks the rendered text again).
No ``str.format`` (a template written by an administrator must not reach Python attributes).
"""
from __future__ import annotations

import re

#: name -> what it is (shown beside the editor)
PLACEHOLDERS: dict[str, str] = {
    "ma_ho_so": "Mã hồ sơ",
    "thu_tuc": "Tên thủ tục",
    "trang_thai": "Trạng thái hồ sơ",
    "ngay": "Ngày của sự việc (dd/mm/yyyy)",
    "ngay_hen_tra": "Ngày hẹn trả kết quả (ngày hẹn lại nếu đã xin lỗi)",
    "co_quan": "Cơ quan giải quyết",
    "ho_ten": "Họ tên người nộp",
    "link_tra_cuu": "Đường dẫn tra cứu hồ sơ",
}

TOKEN = re.compile(r"\{([^{}]*)\}")
MSG_UNKNOWN = "Biến {{{name}}} không có. Các biến dùng được: {known}."
MSG_BRACES = "Dấu ngoặc nhọn chưa đóng/mở đúng cặp."


def template_errors(text: str) -> list[str]:
    """Why a template cannot be saved (empty list: it can)."""
    errors = []
    known = ", ".join("{" + k + "}" for k in PLACEHOLDERS)
    for name in TOKEN.findall(text):
        if name not in PLACEHOLDERS:
            msg = MSG_UNKNOWN.format(name=name, known=known)
            if msg not in errors:
                errors.append(msg)
    if "{" in TOKEN.sub("", text) or "}" in TOKEN.sub("", text):
        errors.append(MSG_BRACES)
    return errors


def render(text: str, facts: dict[str, str]) -> str:
    """The template with its placeholders filled (an unknown one stays as written)."""
    return TOKEN.sub(lambda m: str(facts.get(m.group(1), m.group(0))), text)


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def leaks(text: str, *, id_number: str = "", phone: str = "") -> bool:
    """Whether `text` carries the CCCD or the phone number (written with or without spaces)."""
    flat = _digits(text)
    for secret in (id_number, phone):
        d = _digits(secret or "")
        if len(d) >= 8 and (d in flat or (secret and secret in text)):
            return True
        if d.startswith("0") and len(d) >= 9 and ("84" + d[1:]) in flat:  # +84 912… for 0912…
            return True
    return False
