"""Files are judged by their content, never their name (papers.sniff)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

from papers import sniff
from tests.papers.conftest import jpeg_bytes, pdf_bytes, png_bytes


def _file(tmp_path, data: bytes, name="f.pdf") -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def test_pdf_jpeg_png_are_recognised_by_content(tmp_path):
    assert sniff.sniff_path(_file(tmp_path, pdf_bytes(pages=2), "a.bin")) == sniff.Sniffed("application/pdf", False, 2)
    assert sniff.sniff_path(_file(tmp_path, jpeg_bytes(), "b.pdf")).content_type == "image/jpeg"
    assert sniff.sniff_path(_file(tmp_path, png_bytes(), "c.txt")).content_type == "image/png"


def test_an_executable_named_pdf_is_refused(tmp_path):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode"
    with pytest.raises(sniff.NotAllowed, match="Chỉ nhận tệp PDF, JPEG hoặc PNG"):
        sniff.sniff_path(_file(tmp_path, exe, "ket-qua.pdf"))


def test_html_is_refused_even_with_a_pdf_name(tmp_path):
    with pytest.raises(sniff.NotAllowed):
        sniff.sniff_path(_file(tmp_path, b"<!doctype html><script>alert(1)</script>", "to-khai.pdf"))


def test_a_pdf_header_on_garbage_is_a_broken_pdf(tmp_path):
    with pytest.raises(sniff.NotAllowed, match="Tệp PDF bị hỏng"):
        sniff.sniff_path(_file(tmp_path, b"%PDF-1.7\nnot really a pdf at all"))


def test_a_truncated_png_is_refused(tmp_path):
    with pytest.raises(sniff.NotAllowed, match="Tệp PNG bị hỏng"):
        sniff.sniff_path(_file(tmp_path, png_bytes()[:40], "x.png"))


def test_a_pdf_with_javascript_is_accepted_as_pdf_and_flagged(tmp_path):
    found = sniff.sniff_path(_file(tmp_path, pdf_bytes(javascript=True)))
    assert found.content_type == "application/pdf"
    assert found.has_javascript is True
    assert sniff.sniff_path(_file(tmp_path, pdf_bytes(), "clean.pdf")).has_javascript is False


def test_images_join_into_one_pdf_page_per_image(tmp_path):
    pages = [_file(tmp_path, jpeg_bytes(), "1.jpg"), _file(tmp_path, png_bytes(), "2.png"), _file(tmp_path, jpeg_bytes(), "3.jpg")]
    out = str(tmp_path / "out.pdf")
    sniff.images_to_pdf(pages, out)
    assert sniff.sniff_path(out) == sniff.Sniffed("application/pdf", False, 3)


@hsettings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048).filter(lambda b: sniff.magic_type(b[:1024]) is None))
def test_bytes_without_a_known_signature_are_never_accepted(data):
    import tempfile

    with tempfile.NamedTemporaryFile() as fh:
        fh.write(data)
        fh.flush()
        with pytest.raises(sniff.NotAllowed):
            sniff.sniff_path(fh.name)
