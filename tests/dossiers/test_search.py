"""Staff search (issue 19): one normalisation, one search over code, CCCD, phone and name.

The rules of ``dossiers.search`` as properties (hypothesis), then the search itself on the
database the suite runs on (SQLite by default, PostgreSQL with DATABASE_URL: the same
expectations on both), the page and the API, and on PostgreSQL the trigram index it relies on.
Dossiers are made by the real intake service (``lifecycle.dossier_register``).
"""
from __future__ import annotations

import string
import unicodedata
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from dossiers.calendar import LOCAL_TZ
from dossiers.models import Dossier, Field, Procedure, StaffProfile, Unit
from dossiers.roles import LEADER, OFFICER, role_group_name
from dossiers.search import fold, parse, phone_digits
from dossiers.selectors import count_capped, dossiers_search
from dossiers.services import lifecycle
from tests.conftest import require_postgres

VIETNAMESE_LOWER = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
VIETNAMESE = VIETNAMESE_LOWER + VIETNAMESE_LOWER.upper()
words = st.text(alphabet=VIETNAMESE, min_size=1, max_size=8)
names = st.lists(words, min_size=1, max_size=5)


# --- the normalisation (pure) ----------------------------------------------------------------


def test_fold_examples():
    assert fold("Trần Thị Kiểm") == "tran thi kiem"
    assert fold("NGUYỄN VĂN ĐỨC") == "nguyen van duc"
    assert fold("  Đặng   Thuỳ  ") == "dang thuy"
    assert fold("Nguyễn Văn Đức") == fold("Nguyễn Văn Đức")  # NFD input folds the same as NFC
    assert fold("") == "" and fold(None) == ""


@given(st.text())
def test_fold_is_idempotent_and_bare(text):
    once = fold(text)
    assert fold(once) == once
    assert once == once.strip() and "  " not in once
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", once))
    assert "đ" not in once and "Đ" not in once


@given(names)
def test_a_vietnamese_name_folds_to_plain_lower_ascii_letters(parts):
    name = " ".join(parts)
    folded = fold(name)
    assert set(folded) <= set(string.ascii_lowercase + " ")
    assert len(folded.split()) == len(parts)                   # one folded word per word
    assert fold(name.upper()) == folded == fold(name.lower())  # case does not matter
    assert fold(unicodedata.normalize("NFD", name)) == folded  # nor the Unicode form


@given(names, st.data())
def test_any_run_of_words_typed_without_diacritics_is_found_in_the_folded_name(parts, data):
    i = data.draw(st.integers(0, len(parts) - 1))
    j = data.draw(st.integers(i + 1, len(parts)))
    typed = " ".join(fold(p) for p in parts[i:j])
    assert parse(typed).folded in fold(" ".join(parts))


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_phone_digits_reads_the_usual_spellings(digits):
    national = "0" + digits
    for spelled in (national, f"+84 {digits}", f"+84{digits}", f"84{digits}",
                    f"{national[:4]} {national[4:7]} {national[7:]}", f"{national[:4]}.{national[4:7]}.{national[7:]}"):
        assert phone_digits(spelled) == national


def test_parse_tells_cccd_phone_and_words_apart():
    assert parse("001090001234").id_number == "001090001234"
    assert parse("001090001234").phone == ""                 # 12 digits are no phone
    assert parse("0912 345 678").phone == "0912345678" and parse("0912 345 678").id_number == ""
    assert parse("+84 912 345 678").phone == "0912345678"
    assert parse("Trần  thị KIỂM").words == ("tran", "thi", "kiem")
    assert parse("   ").is_empty


# --- the search on the database --------------------------------------------------------------


def at(y, m, d, hh=9) -> datetime:
    return datetime(y, m, d, hh, tzinfo=LOCAL_TZ)


@pytest.fixture
def org(db):
    province = Unit.objects.create(code="000.00.00.H25", name="UBND tỉnh", level="province", kind="people_committee")
    centre = Unit.objects.create(code="000.00.31.H25", name="Trung tâm", level="province", kind="service_centre",
                                 parent=province)
    justice = Unit.objects.create(code="000.00.12.H25", name="Sở Tư pháp", level="province", kind="agency", parent=province)
    commune = Unit.objects.create(code="000.01.10.H25", name="UBND xã Hy Cương", level="commune",
                                  kind="people_committee", parent=province)
    civil = Field.objects.create(name="Hộ tịch")
    proc = Procedure.objects.create(code="1.000001", name="Cấp bản sao trích lục", field=civil, processing_time=5,
                                    time_unit="working_days", resolving_unit=justice)
    local = Procedure.objects.create(code="2.000001", name="Chứng thực", field=civil, processing_time=1,
                                     time_unit="working_days", resolving_unit=commune)

    def user(name, unit, role):
        u = get_user_model().objects.create_user(username=name, password=None)
        StaffProfile.objects.create(user=u, unit=unit)
        u.groups.add(Group.objects.get(name=role_group_name(role)))
        return u

    return type("Org", (), dict(
        province=province, centre=centre, justice=justice, commune=commune, proc=proc, local=local,
        officer=user("officer", justice, OFFICER), commune_leader=user("xa", commune, LEADER),
        province_leader=user("tinh", province, LEADER),
    ))


def register(org, name, *, id_number="", phone="", when=None, commune=False) -> Dossier:
    return lifecycle.dossier_register(
        procedure=org.local if commune else org.proc, receiving_unit=org.commune if commune else org.centre,
        channel="direct", applicant={"name": name, "id_number": id_number, "phone": phone, "address": "Phú Thọ"},
        received_at=when or at(2026, 3, 2),
    )


@pytest.fixture
def people(org):
    return type("People", (), dict(
        kiem=register(org, "Trần Thị Kiểm", id_number="025190001111", phone="0912 345 678", when=at(2026, 3, 2)),
        duc=register(org, "Nguyễn Văn Đức", id_number="025090002222", phone="0987654321", when=at(2026, 3, 3)),
        duc_old=register(org, "Nguyễn Văn Đức", when=at(2025, 1, 6)),
        ducanh=register(org, "Nguyễn Văn Đức Anh", when=at(2026, 3, 4)),
        le_duc=register(org, "Lê Nguyễn Văn Đức", when=at(2026, 3, 5)),
        at_commune=register(org, "Nguyễn Văn Đức", when=at(2026, 3, 6), commune=True),
    ))


def codes(qs) -> list[str]:
    return list(qs.values_list("code", flat=True))


def test_the_folded_columns_are_written_by_the_intake(people):
    """The intake's one-statement insert (PostgreSQL) and the ORM (SQLite) both fill them."""
    row = Dossier.objects.values("applicant_name_folded", "applicant_phone_digits").get(pk=people.kiem.pk)
    assert row == {"applicant_name_folded": "tran thi kiem", "applicant_phone_digits": "0912345678"}


def test_the_folded_name_follows_a_changed_name(people):
    d = Dossier.objects.get(pk=people.kiem.pk)
    d.applicant_name = "Trần Thị Kiềm"
    d.applicant_phone = "+84 90 111 2222"
    d.save()
    row = Dossier.objects.values("applicant_name_folded", "applicant_phone_digits").get(pk=d.pk)
    assert row == {"applicant_name_folded": "tran thi kiem", "applicant_phone_digits": "0901112222"}


def test_names_typed_without_diacritics_are_found(org, people):
    assert codes(dossiers_search(user=org.province_leader, text="tran thi kiem")) == [people.kiem.code]
    assert codes(dossiers_search(user=org.province_leader, text="TRAN THI KIEM")) == [people.kiem.code]
    # equal names first (newest first), then names starting with it, then names containing it
    assert codes(dossiers_search(user=org.province_leader, text="nguyen van duc")) == [
        people.at_commune.code, people.duc.code, people.duc_old.code, people.ducanh.code, people.le_duc.code]
    assert codes(dossiers_search(user=org.province_leader, text="Nguyễn Văn Đức")) == codes(
        dossiers_search(user=org.province_leader, text="nguyen van duc"))


def test_code_cccd_and_phone_are_found_exact_ones_first(org, people):
    search = lambda text: codes(dossiers_search(user=org.province_leader, text=text))  # noqa: E731
    assert search(people.duc.code) == [people.duc.code]
    assert search(people.duc.code.lower()) == [people.duc.code]
    prefix = people.duc.code[:-2]
    assert people.duc.code in search(prefix) and set(search(prefix)) <= set(Dossier.objects.filter(
        code__startswith=prefix).values_list("code", flat=True))
    assert search("025190001111") == [people.kiem.code]
    assert search("0912345678") == [people.kiem.code]
    assert search("0912 345 678") == [people.kiem.code]
    assert search("+84 987 654 321") == [people.duc.code]
    assert search("hoang") == []


def test_the_exact_code_comes_before_codes_it_begins(org, db):
    made = [register(org, f"Người {i}", when=at(2026, 4, 1, 8)) for i in range(3)]
    prefix = made[0].code[:-1]  # …-000: the start of all three codes
    assert codes(dossiers_search(user=org.province_leader, text=prefix)) == [d.code for d in reversed(made)]
    assert codes(dossiers_search(user=org.province_leader, text=made[0].code)) == [made[0].code]


def test_names_that_only_contain_the_text_are_left_out_beyond_the_cap(org, people, monkeypatch):
    """More names start with the text than a list ever shows: the ones that merely contain it
    (rank 5, the slow trigram scan) could not be reached and are not looked for."""
    from dossiers import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    assert codes(dossiers_search(user=org.province_leader, text="nguyen van duc")) == [
        people.at_commune.code, people.duc.code, people.duc_old.code, people.ducanh.code]
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)
    assert people.le_duc.code in codes(dossiers_search(user=org.province_leader, text="nguyen van duc"))


def test_names_containing_the_text_are_looked_for_below_a_page_of_names_starting_with_it(org, people, monkeypatch):
    """Four names start with "nguyen van duc": with the threshold at 4 the one that only
    contains it (Lê Nguyễn Văn Đức) is not looked for; at 5 it comes last."""
    from dossiers import selectors

    monkeypatch.setattr(selectors, "SEARCH_CONTAINS_BELOW", 4)
    assert codes(dossiers_search(user=org.province_leader, text="nguyen van duc")) == [
        people.at_commune.code, people.duc.code, people.duc_old.code, people.ducanh.code]
    monkeypatch.setattr(selectors, "SEARCH_CONTAINS_BELOW", 5)
    assert codes(dossiers_search(user=org.province_leader, text="nguyen van duc"))[-1] == people.le_duc.code


def test_a_unit_scope_finds_names_containing_the_text_among_its_own(org, people):
    """A commune leader's search reads the commune's dossiers: "van duc" (inside the name) finds
    the commune's Nguyễn Văn Đức only; the Sở's officer finds the Sở's four, newest first."""
    assert codes(dossiers_search(user=org.commune_leader, text="van duc")) == [people.at_commune.code]
    assert codes(dossiers_search(user=org.officer, text="van duc")) == [
        people.le_duc.code, people.ducanh.code, people.duc.code, people.duc_old.code]
    assert codes(dossiers_search(user=org.commune_leader, text="kiem")) == []


@pytest.mark.parametrize("text", ["van duc", "duc", "nguyen", "thi kiem", "kiem", "duc anh", "le nguyen"])
def test_a_scoped_search_finds_every_visible_name_containing_the_text(org, people, text):
    """Every user's search (the led part read from its index, the received or held part, the
    steps) finds exactly the dossiers the user may see whose folded name contains the text,
    counted here by reading each one: the centre's clerk the Sở's dossiers it took in (led
    elsewhere), the Sở's officer those it leads, the commune its own, the province all."""
    from dossiers.models import DossierStep
    from dossiers.roles import COUNTER_CLERK
    from dossiers.selectors import dossiers_visible_to

    clerk = get_user_model().objects.create_user(username="motcua", password=None)
    StaffProfile.objects.create(user=clerk, unit=org.centre)
    clerk.groups.add(Group.objects.get(name=role_group_name(COUNTER_CLERK)))
    DossierStep.objects.create(dossier=people.kiem, order=9, name="Xác minh tại xã", unit=org.commune,
                               allotted_time=1)
    for user in (clerk, org.officer, org.commune_leader, org.province_leader):
        expected = {d.code for d in dossiers_visible_to(user) if text in fold(d.applicant_name)}
        assert set(codes(dossiers_search(user=user, text=text))) == expected, (user.username, text)
    assert {d.code for d in dossiers_visible_to(clerk) if "van duc" in fold(d.applicant_name)} == {
        people.duc.code, people.duc_old.code, people.ducanh.code, people.le_duc.code}


def test_a_dossier_that_only_stepped_through_a_unit_is_found_there(org, people):
    """Visibility through a step (liên thông): a step at the commune makes the Sở's dossier
    visible to the commune leader, and the search finds it by name and by CCCD."""
    from dossiers.models import DossierStep

    DossierStep.objects.create(dossier=people.kiem, order=9, name="Xác minh tại xã", unit=org.commune,
                               allotted_time=1)
    assert codes(dossiers_search(user=org.commune_leader, text="tran thi kiem")) == [people.kiem.code]
    assert codes(dossiers_search(user=org.commune_leader, text="025190001111")) == [people.kiem.code]
    assert codes(dossiers_search(user=org.commune_leader, text="thi kiem")) == [people.kiem.code]


def test_visibility_is_unchanged(org, people):
    """The commune leader sees the commune's dossier only; the Sở officer not the commune's."""
    assert codes(dossiers_search(user=org.commune_leader, text="nguyen van duc")) == [people.at_commune.code]
    assert people.at_commune.code not in codes(dossiers_search(user=org.officer, text="nguyen van duc"))
    assert codes(dossiers_search(user=org.commune_leader, text="tran thi kiem")) == []


def test_an_empty_text_finds_nothing(org, people):
    assert codes(dossiers_search(user=org.province_leader, text="  ")) == []


def test_counts_stop_at_the_cap(org, people):
    qs = dossiers_search(user=org.province_leader, text="nguyen van duc")
    assert count_capped(qs) == (5, False)
    assert count_capped(qs, cap=3) == (3, True)


# --- the page and the API --------------------------------------------------------------------


def test_search_page_finds_without_diacritics_and_explains_an_empty_result(client, org, people):
    client.force_login(org.province_leader)
    url = reverse("dossiers:search")
    html = client.get(url, {"q": "tran thi kiem"}).content.decode()
    assert f'data-code="{people.kiem.code}"' in html
    html = client.get(url, {"q": "khong ai ten nay"}).content.decode()
    assert "Không tìm thấy hồ sơ nào khớp với “khong ai ten nay”" in html
    assert "Hãy thử" in html and "không dấu" in html


def test_api_q_is_the_same_search(client, org, people):
    client.force_login(org.province_leader)
    body = client.get("/api/v1/dossiers/", {"q": "nguyen van duc"}).json()
    assert [r["code"] for r in body["results"]] == codes(dossiers_search(user=org.province_leader, text="nguyen van duc"))
    body = client.get("/api/v1/dossiers/", {"q": "0912345678"}).json()
    assert [r["code"] for r in body["results"]] == [people.kiem.code]


# --- PostgreSQL: the index behind it ---------------------------------------------------------


@pytest.mark.postgres
def test_postgres_name_search_uses_the_trigram_index(org, people):
    require_postgres()
    # the search gathers names containing the words with this condition (selectors.search_ranked)
    qs = Dossier.objects.filter(applicant_name_folded__contains="tran thi kiem").order_by()
    with connection.cursor() as c:
        c.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: make the planner show its index
        plan = qs.explain()
    assert "dossier_name_folded_trgm" in plan
    with connection.cursor() as c:
        c.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert c.fetchone() == ("pg_trgm",)
