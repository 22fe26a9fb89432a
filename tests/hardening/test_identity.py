"""Identity data normalised and checked (issue 18 item 10): ``dossiers/identity.py``, then the
same rule through the intake page, the API and the history import.

Attacks of the round: fullwidth and Arabic-Indic digits accepted as a CCCD (their last four
never match what a citizen types at the lookup), ``000000000000``, a phone without a digit, a
name of zero-width spaces, a right-to-left override in a name, an NFD name an NFC search
cannot find.
"""
from __future__ import annotations

import io
import unicodedata

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dossiers import identity
from dossiers.models import Dossier
from dossiers.services.history_import import HistoryImportError, dossier_history_parse
from tests.dossiers.test_intake_pages import intake_post, make_world

#: the zero of a few decimal-digit scripts: ASCII, fullwidth, Arabic-Indic, Extended Arabic-Indic,
#: Devanagari, Thai, mathematical bold (NFKC folds the last one)
ZEROS = ("0", "\uff10", "\u0660", "\u06f0", "\u0966", "\u0e50", "\U0001d7ce")
FORBIDDEN = ("\u202e", "\u202d", "\u2066", "\u200b", "\u200d", "\ufeff", "\u0000", "\u001b", "\u2060", "\u00ad")


def _spell(digits: str, zeros: list[str], seps: list[str]) -> str:
    out = []
    for i, d in enumerate(digits):
        out.append(chr(ord(zeros[i % len(zeros)]) + int(d)))
        out.append(seps[i % len(seps)])
    return "".join(out)


cccd_digits = st.text("0123456789", min_size=12, max_size=12).filter(lambda s: set(s) != {"0"})


@given(cccd_digits, st.lists(st.sampled_from(ZEROS), min_size=1, max_size=4),
       st.lists(st.sampled_from(["", "", " ", ".", "-"]), min_size=1, max_size=3))
def test_any_script_of_digits_becomes_the_ascii_cccd(digits, zeros, seps):
    typed = _spell(digits, zeros, seps)
    assert identity.normalize_id_number(typed) == digits
    assert identity.normalize_id_number(digits) == digits  # idempotent


@given(st.text(min_size=1, max_size=20))
def test_a_cccd_is_ascii_twelve_digits_or_refused(text):
    try:
        value = identity.normalize_id_number(text)
    except identity.IdentityError:
        return
    assert value == "" or (len(value) == 12 and value.isascii() and value.isdigit() and set(value) != {"0"})


@given(st.text("0123456789", min_size=9, max_size=11), st.sampled_from(ZEROS), st.booleans())
def test_phones_of_nine_to_eleven_digits_in_any_script(digits, zero, plus):
    typed = ("+" if plus else "") + _spell(digits, [zero], [" ", ""])
    assert identity.normalize_phone(typed) == ("+" if plus else "") + digits


@given(st.text(min_size=1, max_size=20))
def test_a_phone_has_nine_to_eleven_ascii_digits_or_is_refused(text):
    try:
        value = identity.normalize_phone(text)
    except identity.IdentityError:
        return
    digits = value.removeprefix("+")
    assert value == "" or (digits.isascii() and digits.isdigit() and 9 <= len(digits) <= 11)


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
def test_a_name_is_nfc_without_hidden_characters_or_refused(text):
    try:
        value = identity.normalize_name(text)
    except identity.IdentityError:
        return
    assert value and value == unicodedata.normalize("NFC", value) and value == " ".join(value.split())
    assert identity.name_forbidden_char(value) is None
    assert identity.normalize_name(value) == value


@given(st.text("Nguyễn Văn Đức Trần Thị Kiểm", min_size=1, max_size=20).filter(str.strip),
       st.sampled_from(FORBIDDEN), st.integers(0, 20))
def test_a_forbidden_character_anywhere_refuses_the_name(name, bad, where):
    with pytest.raises(identity.IdentityError):
        identity.normalize_name(name[:where] + bad + name[where:])


@pytest.mark.parametrize(("function", "value", "message"), [
    (identity.normalize_id_number, "000000000000", identity.MSG_CCCD_ZEROS),
    (identity.normalize_id_number, "０００ ０００ ０００ ０００", identity.MSG_CCCD_ZEROS),
    (identity.normalize_id_number, "01719000123", identity.MSG_CCCD),
    (identity.normalize_phone, "không có số", identity.MSG_PHONE),
    (identity.normalize_phone, "--- ---", identity.MSG_PHONE),
    (identity.normalize_phone, "09123456", identity.MSG_PHONE),  # 8 digits
    (identity.normalize_phone, "091234567890", identity.MSG_PHONE),  # 12 digits
    (identity.normalize_name, "\u200b\u200b\u200b", identity.MSG_NAME_CHARS),
    (identity.normalize_name, "   ", identity.MSG_NAME_REQUIRED),
    (identity.normalize_name, "Trần \u202eanÂ", identity.MSG_NAME_CHARS),
])
def test_refusals_with_their_messages(function, value, message):
    with pytest.raises(identity.IdentityError) as exc:
        function(value)
    assert exc.value.message == message


def test_examples():
    assert identity.normalize_id_number("\u0660\u0660\u0661\u0660\u0669\u0669\u0660\u0661\u0662\u0663\u0664\u0665") == "001099012345"
    assert identity.normalize_phone("(+84) 912.345.678") == "+84912345678"
    assert identity.normalize_name("  Nguye\u0302\u0303n   Văn  A ") == "Nguyễn Văn A"


# --- through the intake page, the API and the import ------------------------------------------


@pytest.fixture
def world(db):
    return make_world()


def _api(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return api


@pytest.mark.django_db
def test_api_intake_stores_ascii_digits_and_nfc_and_refuses_hidden_characters(world):
    api = _api(world.clerk)
    body = {"procedure": world.birth.code, "receiving_unit": world.centre.code, "channel": "direct",
            "applicant": {"name": "Nguye\u0302\u0303n Thi\u0323 Hương", "id_number": "０１７１９０００１２３４",
                          "phone": "٠٩١٢٣٤٥٦٧٨", "address": "Hòa Bình"}}
    created = api.post("/api/v1/dossiers/", body, format="json")
    assert created.status_code == 201, created.content
    d = Dossier.objects.get(code=created.json()["code"])
    assert (d.applicant_id_number, d.applicant_phone) == ("017190001234", "0912345678")
    assert d.applicant_name == "Nguyễn Thị Hương"
    assert Dossier.objects.filter(applicant_name__icontains="Nguyễn Thị").exists()  # an NFC search finds it

    for field, value, message in (
        ("id_number", "000000000000", identity.MSG_CCCD_ZEROS),
        ("phone", "abc", identity.MSG_PHONE),
        ("name", "\u200b\u200c", identity.MSG_NAME_CHARS),
        ("name", "Lê \u202eVăn", identity.MSG_NAME_CHARS),
    ):
        bad = {**body, "applicant": {**body["applicant"], field: value}}
        r = api.post("/api/v1/dossiers/", bad, format="json")
        assert r.status_code == 400 and r.json()["errors"] == {f"applicant.{field}": [message]}, (field, r.content)


@pytest.mark.django_db
def test_intake_page_refuses_zeros_and_hidden_characters_next_to_the_field(world):
    page = Client()
    page.force_login(world.clerk)
    r = page.post(reverse("dossiers:intake"), intake_post(world, applicant_id_number="000000000000",
                                                          applicant_name="\u200b"))
    html = r.content.decode()
    assert r.status_code == 200 and identity.MSG_CCCD_ZEROS in html and identity.MSG_NAME_CHARS in html
    assert not Dossier.objects.exists()
    r = page.post(reverse("dossiers:intake"), intake_post(world, applicant_id_number="０１７１９０００１２３４"))
    assert r.status_code == 302
    assert Dossier.objects.get().applicant_id_number == "017190001234"


@pytest.mark.django_db
def test_history_import_refuses_a_reordering_name_with_line_and_column(world):
    csv = ("procedure_code,receiving_unit_code,channel,received_at,applicant_name\n"
           f"{world.birth.code},{world.centre.code},direct,2022-01-28T09:00,Lê \u202eVăn\n")
    with pytest.raises(HistoryImportError) as exc:
        dossier_history_parse(stream=io.StringIO(csv))
    assert exc.value.errors == [f"line 2, column applicant_name: {identity.MSG_NAME_CHARS}"]
