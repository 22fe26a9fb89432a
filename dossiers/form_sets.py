"""Which set of printed forms a dossier's papers belong to (domain.md §4 and §14).

A dossier received on or after 15/9/2025 prints the seven forms of Thông tư 03/2025/TT-VPCP
(01 receipt … 05 notice of stopping, 06 control sheet, 07 tracking register); an older one
keeps the Thông tư 01/2018/TT-VPCP numbering it was issued under (01–04 alike, 05 control
sheet, 06 register, no notice of stopping). Pure: no ORM, no request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: first receipt date of the Thông tư 03/2025 forms
TT03_FROM = date(2025, 9, 15)

RECEIPT, SUPPLEMENT, REFUSAL, APOLOGY, STOP, CONTROL, REGISTER = (
    "receipt", "supplement", "refusal", "apology", "stop", "control", "register",
)


@dataclass(frozen=True)
class FormSet:
    circular: str  # "Thông tư 03/2025/TT-VPCP"
    numbers: dict[str, str]  # form kind -> "01" …
    titles: dict[str, str]  # form kind -> the official title

    def label(self, kind: str) -> str:
        """"Mẫu số 06 – Thông tư 03/2025/TT-VPCP"."""
        return f"Mẫu số {self.numbers[kind]} – {self.circular}"


_COMMON = {
    RECEIPT: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    SUPPLEMENT: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    REFUSAL: "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    CONTROL: "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    REGISTER: "Sổ theo dõi hồ sơ",
}

TT03 = FormSet(
    circular="Thông tư 03/2025/TT-VPCP",
    numbers={RECEIPT: "01", SUPPLEMENT: "02", REFUSAL: "03", APOLOGY: "04", STOP: "05", CONTROL: "06", REGISTER: "07"},
    titles={**_COMMON, APOLOGY: "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
            STOP: "Thông báo dừng giải quyết hồ sơ"},
)
TT01 = FormSet(
    circular="Thông tư 01/2018/TT-VPCP",
    numbers={RECEIPT: "01", SUPPLEMENT: "02", REFUSAL: "03", APOLOGY: "04", CONTROL: "05", REGISTER: "06"},
    titles={**_COMMON, APOLOGY: "Phiếu xin lỗi và hẹn lại ngày trả kết quả"},
)


def form_set_for(received_on: date | None) -> FormSet:
    """The forms of a dossier received on that local date (None: not received yet, or a slip
    printed before any dossier exists: today's forms)."""
    if received_on is None or received_on >= TT03_FROM:
        return TT03
    return TT01
