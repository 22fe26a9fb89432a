"""Vietnam's administrative units as reference data (issue 15 item 5): suggestions, never refusals.

The expected new communes are written out from the 2025 arrangement resolutions of the National
Assembly Standing Committee (NQ 1656/NQ-UBTVQH15 for Hà Nội, NQ 1685/NQ-UBTVQH15 for Thành phố
Hồ Chí Minh, NQ 1676/NQ-UBTVQH15 for Phú Thọ, which took in Hòa Bình and Vĩnh Phúc), and were
checked against ``vietnamadminunits``' data file ``converter_2025.json`` (e.g. "phuonghoabinh":
Thịnh Lang, Hữu Nghị, Tân Thịnh, Đồng Tiến, Phương Lâm, Quỳnh Lâm, Trung Minh; "xalienson": Cư
Yên, Liên Sơn; "xakimboi": thị trấn Bo, Vĩnh Đồng, Kim Bôi), not from the library's answers.
"""
from __future__ import annotations

import pytest

from dossiers import admin_units

# (pre-2025 address, new commune, new province)
OLD_ADDRESSES = [
    ("Số 12 Hàng Bạc, Phường Hàng Bạc, Quận Hoàn Kiếm, Thành phố Hà Nội", "Phường Hoàn Kiếm", "Thành phố Hà Nội"),
    ("Số 12 Lê Lợi, Phường Phạm Ngũ Lão, Quận 1, TP Hồ Chí Minh", "Phường Bến Thành", "Thành phố Hồ Chí Minh"),
    ("Tổ 5, phường Tân Thịnh, thành phố Hòa Bình, tỉnh Hòa Bình", "Phường Hòa Bình", "Tỉnh Phú Thọ"),
    ("Xóm Mỗ, xã Cư Yên, huyện Lương Sơn, tỉnh Hòa Bình", "Xã Liên Sơn", "Tỉnh Phú Thọ"),
    ("Thị trấn Bo, huyện Kim Bôi, tỉnh Hòa Bình", "Xã Kim Bôi", "Tỉnh Phú Thọ"),
]


@pytest.mark.parametrize("old,commune,province", OLD_ADDRESSES)
def test_pre_2025_addresses_convert_to_their_new_commune(old, commune, province):
    conversion = admin_units.convert_old_address(old)
    assert conversion is not None
    assert (conversion.new_commune, conversion.new_province) == (commune, province)


def test_conversion_keeps_the_street_and_names_the_old_commune():
    c = admin_units.convert_old_address("Tổ 5, phường Tân Thịnh, thành phố Hòa Bình, tỉnh Hòa Bình")
    assert c.text == "Tổ 5, Phường Hòa Bình, Tỉnh Phú Thọ"
    assert c.old_commune == "Phường Tân Thịnh, Thành phố Hòa Bình, Tỉnh Hòa Bình"


@pytest.mark.parametrize("address", [
    "",                                        # nothing typed
    "Xã Liên Sơn, tỉnh Phú Thọ",               # already the two-level form: nothing to convert
    "Thôn Đông, xã Bình Minh, tỉnh Thử Nghiệm",  # a training province's invented names
    "x" * 5000,                                # absurd input: no suggestion, no error
    "Tổ 5, " * 1000,
])
def test_no_suggestion_is_not_an_error(address):
    assert admin_units.convert_old_address(address) is None


def test_the_34_provinces_and_the_communes_of_phu_tho():
    names = admin_units.province_names()
    assert len(names) == 34
    assert {"Phú Thọ", "Thành phố Hà Nội", "Thành phố Huế", "Cà Mau"} <= set(names)
    assert "Hòa Bình" not in names and "Vĩnh Phúc" not in names  # merged into Phú Thọ on 1/7/2025
    communes = dict(admin_units.communes_of_province("Tỉnh Phú Thọ"))
    assert len(communes) == 148  # stack.md: Phú Thọ has 148 communes and wards
    assert {"Phường Hòa Bình", "Xã Liên Sơn", "Xã Kim Bôi", "Phường Việt Trì"} <= set(communes.values())
    assert admin_units.communes_of_province("Tỉnh Thử Nghiệm") == ()


def test_place_suggestion_from_the_official_list():
    assert admin_units.place_suggestion("Ủy ban nhân dân phường Hòa Bình", "Phú Thọ") == "Hòa Bình"
    assert admin_units.place_suggestion("Ủy ban nhân dân xã Bình Minh", "Phú Thọ") == ""


@pytest.mark.parametrize("address,expected", [
    ("Thôn 3, xã Kim Bôi, tỉnh Phú Thọ", 2),
    ("tổ 1 PHUONG HOA BINH", 1),                 # no diacritics, capitals
    ("Xã Liên Sơn", 3),
    ("Số 4 đường Kim Bôi, phường Hòa Bình", 1),  # "Kim Bôi" as a street: the titled commune wins
    ("Thôn Đông, xã Bình Minh", None),          # not one of ours: no suggestion
    ("", None),
])
def test_commune_in_address(address, expected):
    names = {1: "Ủy ban nhân dân phường Hòa Bình", 2: "Ủy ban nhân dân xã Kim Bôi", 3: "UBND xã Liên Sơn"}
    assert admin_units.commune_in_address(address, names) == expected
