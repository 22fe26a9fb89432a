"""English UI through Django i18n (locale/en/LC_MESSAGES/django.po, Vietnamese source strings).

The language cookie "en" turns the pages English; without it they stay Vietnamese. Every string
the code marks for translation must have an English msgstr, compiled into django.mo; when one
is missing the failure says how to fix it:

    DEBUG=true .venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=var \
        --ignore=bench --no-obsolete
    (translate the new entries in locale/en/LC_MESSAGES/django.po)
    DEBUG=true .venv/bin/python manage.py compilemessages -l en --ignore=.venv

Printed legal forms keep the official Vietnamese wording (their few wrapped strings are
"translated" to themselves on purpose, marked with a translator comment in the .po).
"""
from __future__ import annotations

import ast
import gettext
import html
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from dossiers.roles import COUNTER_CLERK
from tests.conftest import IN_CI
from tests.factories import DEFAULT_PASSWORD, ProcedureFactory, StaffProfileFactory, UnitFactory, UserFactory

ROOT = Path(settings.BASE_DIR)
PO_PATH = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
HOW_TO_FIX = (
    "run `DEBUG=true .venv/bin/python manage.py makemessages -l en --ignore=.venv --ignore=var "
    "--ignore=bench --no-obsolete`, translate the new entries in locale/en/LC_MESSAGES/django.po, "
    "then `DEBUG=true .venv/bin/python manage.py compilemessages -l en --ignore=.venv`"
)
#: letters that only Vietnamese uses (English UI text never contains them)
VIETNAMESE_LETTERS = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]", re.IGNORECASE
)
PLACEHOLDER = re.compile(r"%\(\w+\)[-+ #0-9.]*[sdifr]|%[sdif]")
#: the left menu as staff read it in Vietnamese (ux.md "Navigation")
VIETNAMESE_MENU = [
    "Tiếp nhận hồ sơ", "Việc hôm nay", "Hồ sơ chờ tiếp nhận", "Hồ sơ của tôi", "Hồ sơ đang xử lý",
    "Hồ sơ chờ bổ sung", "Hồ sơ chờ trả kết quả", "Hồ sơ đã trả kết quả", "Tra cứu hồ sơ",
]
ENGLISH_MENU = [
    "Receive dossier", "Today&#x27;s work", "Awaiting receipt", "My dossiers", "In processing",
    "Awaiting supplement", "Awaiting result return", "Result returned", "Search dossiers",
]


# --- a small .po reader (no third-party package) ---------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def po_entries(path: Path = PO_PATH) -> list[Entry]:
    """The active entries of a .po file, header excluded (obsolete "#~" entries skipped)."""
    entries, current, target = [], None, None

    def finish():
        if current is not None and current.msgid != "":
            entries.append(current)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                if current is not None and target is not None:  # flags start a new entry
                    finish()
                    current, target = None, None
                current = current or Entry(line=number)
                current.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation line outside an entry"
            kind, index = target
            value = ast.literal_eval(line)
            if kind == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        match = re.fullmatch(r"(msgctxt|msgid|msgid_plural|msgstr)(?:\[(\d+)\])?", keyword)
        assert match, f"{path}:{number}: cannot read {raw!r}"
        kind, index = match.group(1), int(match.group(2) or 0)
        if kind in ("msgctxt", "msgid") and current is not None and target is not None and target[0] == "msgstr":
            finish()
            current = None
        if current is None:
            current = Entry(line=number)
        value = ast.literal_eval(rest)
        if kind == "msgstr":
            current.msgstr[index] = value
        else:
            setattr(current, kind, value)
            if kind == "msgid":
                current.line = number
        target = (kind, index)
    finish()
    return entries


def po_header(path: Path = PO_PATH) -> str:
    text = path.read_text(encoding="utf-8")
    match = re.search(r'^msgid ""\nmsgstr ((?:".*"\n)+)', text, re.MULTILINE)
    assert match, "the .po has no header entry"
    return "".join(ast.literal_eval(part) for part in match.group(1).splitlines())


# --- the catalogue -----------------------------------------------------------------------------


def test_the_catalogue_is_english_with_two_plural_forms():
    """The header says Language: en and English plural rules, and is not marked fuzzy."""
    header = po_header()
    assert "Language: en\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header
    assert "charset=UTF-8" in header
    text = PO_PATH.read_text(encoding="utf-8")
    assert not re.search(r'#, fuzzy\nmsgid ""\nmsgstr ""', text), "the .po header is still marked fuzzy"


def test_every_string_has_an_english_translation():
    """Every msgid (and both plural forms) has a non-empty msgstr that is not fuzzy; a new
    untranslated string fails here with the commands to run."""
    entries = po_entries()
    assert len(entries) > 300, "the .po lost most of its entries"
    missing = []
    for e in entries:
        forms = (0, 1) if e.msgid_plural is not None else (0,)
        if "fuzzy" in e.flags or any(not e.msgstr.get(i) for i in forms):
            missing.append(e.label)
    assert not missing, f"{len(missing)} string(s) without an English translation: {missing[:20]}; {HOW_TO_FIX}"


def test_translations_keep_the_placeholders():
    """%(name)s / %s placeholders (blocktrans variables too) are the same in msgid and msgstr,
    so formatting an English string never raises or drops a value."""
    wrong = []
    for e in po_entries():
        for index, text in e.msgstr.items():
            source = e.msgid_plural if (index > 0 and e.msgid_plural is not None) else e.msgid
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(source)):
                wrong.append((e.label, text))
    assert not wrong, f"placeholders differ between msgid and msgstr: {wrong}"


def test_only_printed_form_wording_is_left_in_vietnamese():
    """A msgstr that merely copies a Vietnamese msgid is an untranslated string, unless its
    translator comment says it belongs to a printed legal form (official wording kept)."""
    text = PO_PATH.read_text(encoding="utf-8")
    blocks = re.findall(r"# Printed legal form[^\n]*\n(?:#[^\n]*\n)*msgid ((?:\"[^\n]*\"\n)+)", text)
    kept = {"".join(ast.literal_eval(p) for p in block.splitlines()) for block in blocks}
    assert 0 < len(kept) < 20, "only a handful of printed-form strings may stay Vietnamese"
    copied = [
        e.label for e in po_entries()
        if e.msgid not in kept and VIETNAMESE_LETTERS.search(e.msgid)
        and any(value == e.msgid for value in e.msgstr.values())
    ]
    assert not copied, f"msgstr copies the Vietnamese msgid: {copied}"


def test_the_compiled_catalogue_matches_the_po():
    """django.mo answers every .po entry with its msgstr, i.e. compilemessages was run after
    the last translation."""
    assert MO_PATH.exists(), f"{MO_PATH} is missing; {HOW_TO_FIX}"
    with MO_PATH.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in po_entries():
        if e.msgid_plural is not None:
            got = [mo.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n) if e.msgctxt else mo.ngettext(e.msgid, e.msgid_plural, n) for n in (1, 2)]
            want = [e.msgstr.get(0), e.msgstr.get(1)]
        else:
            got = [mo.pgettext(e.msgctxt, e.msgid) if e.msgctxt else mo.gettext(e.msgid)]
            want = [e.msgstr.get(0)]
        if got != want:
            stale.append(e.label)
    assert not stale, f"django.mo is older than django.po for {len(stale)} string(s) {stale[:10]}; {HOW_TO_FIX}"


def test_the_po_holds_every_string_marked_in_the_code(tmp_path, settings, monkeypatch):
    """makemessages run on a copy of the project finds no msgid that the committed .po lacks:
    a string wrapped in gettext/{% trans %} after the last makemessages fails here."""
    if shutil.which("xgettext") is None:
        if IN_CI:
            pytest.fail("CI=true: this test needs GNU gettext (apt-get install gettext)")
        pytest.skip("needs GNU gettext (xgettext) installed")
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", "var", "bench", ".git", "locale", "__pycache__", "node_modules", ".hypothesis", "*.sqlite3",
    ))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(source)
    call_command("makemessages", locale=["en"], ignore_patterns=[".venv", "var", "bench"], no_obsolete=True, verbosity=0)
    fresh = po_entries(tmp_path / "locale" / "en" / "LC_MESSAGES" / "django.po")
    assert len(fresh) > 300, "makemessages on the copy found almost nothing: the copy is wrong"
    known = {(e.msgctxt, e.msgid, e.msgid_plural) for e in po_entries()}
    new = sorted({e.msgid for e in fresh if (e.msgctxt, e.msgid, e.msgid_plural) not in known})
    assert not new, f"{len(new)} string(s) marked for translation are not in django.po: {new[:20]}; {HOW_TO_FIX}"


# --- pages -------------------------------------------------------------------------------------


def vietnamese_ui_strings() -> set[str]:
    """Every Vietnamese msgid meant to be shown in English (placeholders and the printed-form
    wording, whose msgstr is the msgid itself, excluded), translated yet or not."""
    return {
        e.msgid for e in po_entries()
        if VIETNAMESE_LETTERS.search(e.msgid) and e.msgstr.get(0) != e.msgid and not PLACEHOLDER.search(e.msgid)
    }


def visible_texts(page: str) -> list[str]:
    """Text nodes and the human-readable attributes of a page (scripts and styles dropped)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S | re.I)
    texts = [html.unescape(t).strip() for t in re.findall(r">([^<]+)<", page)]
    texts += [html.unescape(v).strip() for v in re.findall(r'\b(?:placeholder|title|aria-label|alt|data-[\w-]+)="([^"]*)"', page)]
    return [t for t in texts if t]


def untranslated_on(page: str) -> list[str]:
    """Vietnamese UI strings shown as a whole text on an English page."""
    vietnamese = vietnamese_ui_strings()
    return sorted({t for t in visible_texts(page) if t in vietnamese or t.rstrip(":") in vietnamese})


def assert_no_vietnamese_ui_text(page: str) -> None:
    left = untranslated_on(page)
    assert not left, f"Vietnamese UI text on the English page: {left}; {HOW_TO_FIX}"


def sidebar(page: str) -> str:
    match = re.search(r'<nav class="sidebar[^"]*".*?</nav>', page, re.S)
    assert match, "the page has no left menu"
    return match.group(0)


@pytest.fixture
def clerk_client(client, db):
    """A counter clerk of a service centre, logged in; one procedure to receive."""
    centre = UnitFactory(centre=True)
    ProcedureFactory(resolving_unit=UnitFactory())
    user = StaffProfileFactory(unit=centre, user=UserFactory(role=COUNTER_CLERK)).user
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.django_db
def test_login_page_in_english_with_the_cookie(client):
    """With the language cookie "en" the login page is English and shows no Vietnamese label."""
    page = english(client).get(reverse("login")).content.decode()
    assert '<html lang="en">' in page
    for words in ("Log in to OneCua", "Username", "Password", "Electronic one-stop shop"):
        assert words in page
    for words in ("Đăng nhập", "Tên đăng nhập", "Mật khẩu", "Một cửa điện tử"):
        assert words not in page
    assert_no_vietnamese_ui_text(page)


@pytest.mark.django_db
def test_login_page_in_vietnamese_without_the_cookie(client):
    """Without the cookie the login page stays Vietnamese."""
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="vi">' in page
    for words in ("Đăng nhập OneCua", "Tên đăng nhập", "Mật khẩu"):
        assert words in page
    for words in ("Log in", "Username", "Password"):
        assert words not in page


def test_intake_page_and_menu_in_english_with_the_cookie(clerk_client):
    """A counter clerk with the cookie "en" sees the intake page and the whole left menu in
    English: menu words like "Receive dossier", no Vietnamese letter in the menu, and no
    Vietnamese UI string anywhere on the page (the data, e.g. unit names, stays as entered)."""
    procedure = ProcedureFactory()
    response = english(clerk_client).get(reverse("dossiers:intake") + f"?procedure={procedure.code}")
    assert response.status_code == 200
    page = response.content.decode()
    menu = sidebar(page)
    for words in ENGLISH_MENU + ["One-stop", "Processing", "Monitoring"]:
        assert words in menu
    for words in VIETNAMESE_MENU:
        assert words not in page
    assert not VIETNAMESE_LETTERS.search(html.unescape(re.sub(r"<[^>]+>", " ", menu))), menu
    for words in ("Administrative procedure", "Full name", "ID card number", "Appointment date",
                  "Save and print receipt", "Log out"):
        assert words in page
    assert_no_vietnamese_ui_text(page)


def test_intake_page_and_menu_in_vietnamese_without_the_cookie(clerk_client):
    """Without the cookie the same clerk sees the Vietnamese menu and intake page."""
    page = clerk_client.get(reverse("dossiers:intake")).content.decode()
    menu = sidebar(page)
    for words in VIETNAMESE_MENU:
        assert words in menu
    for words in ("Họ và tên", "Số CCCD", "Ngày hẹn trả", "Lưu và in giấy tiếp nhận"):
        assert words in page
    for words in ENGLISH_MENU + ["Full name", "Save and print receipt"]:
        assert words not in page


def test_worklist_in_english_with_the_cookie(clerk_client):
    """The clerk's start page (Việc hôm nay) has no Vietnamese UI string in English."""
    page = english(clerk_client).get(reverse("dossiers:worklist")).content.decode()
    assert "Today&#x27;s work" in page
    assert_no_vietnamese_ui_text(page)


def test_switching_back_to_vietnamese_through_the_header_button(clerk_client):
    """The header button posts to /i18n/setlang/; choosing "vi" after "en" brings the
    Vietnamese menu back."""
    english(clerk_client)
    intake = reverse("dossiers:intake")
    assert "Receive dossier" in clerk_client.get(intake).content.decode()
    response = clerk_client.post(reverse("set_language"), {"language": "vi", "next": intake})
    assert response.status_code == 302
    page = clerk_client.get(intake).content.decode()
    assert "Tiếp nhận hồ sơ" in sidebar(page)
    assert "Receive dossier" not in page


def test_make_messages_reads_the_n_underscore_marker():
    """``make messages`` runs dossiers' makemessages, which reads ``N_("…")`` (gettext_noop):
    the report's row labels are in the catalogue, not dropped."""
    from django.core.management import get_commands, load_command_class

    assert get_commands()["makemessages"] == "dossiers"
    assert "--keyword=N_" in load_command_class("dossiers", "makemessages").xgettext_options
