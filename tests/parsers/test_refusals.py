"""Clear refusals: no LibreOffice, wrong passwords, files that lie about their type."""

from __future__ import annotations

import pytest

from mailbot.errors import ParseError
from parsers import doc_convert, parse_document, sniff_type
from tests.conftest import SAMPLES
from tests.parsers.helpers import board_mappings

REFERRALS = SAMPLES / "forms" / "west-sussex" / "referral"


def _parse(data: bytes, name: str, **kw):
    return parse_document(data, name, board="west-sussex",
                          mappings=board_mappings("west-sussex"), **kw)


def test_doc_without_libreoffice_says_send_docx_or_pdf(monkeypatch) -> None:
    monkeypatch.setattr(doc_convert, "find_soffice", lambda: None)
    with pytest.raises(ParseError) as err:
        _parse((REFERRALS / "referral-02.doc").read_bytes(), "referral-02.doc")
    assert err.value.kind == "doc_unsupported"
    assert "cannot read .doc here" in str(err.value) and "send .docx or PDF" in str(err.value)


def test_protected_file_with_wrong_or_no_password_is_refused() -> None:
    data = (REFERRALS / "referral-01-protected.docx").read_bytes()
    for passwords in ([], ["not-the-password"]):
        with pytest.raises(ParseError) as err:
            _parse(data, "referral-01-protected.docx", passwords=passwords)
        assert err.value.kind == "encrypted"


def test_file_that_is_not_what_its_name_says_is_refused() -> None:
    pdf = (REFERRALS / "referral-03.pdf").read_bytes()
    with pytest.raises(ParseError) as err:
        _parse(pdf, "referral-03.docx")
    assert err.value.kind == "wrong_type"
    assert "named .docx but is really a PDF" in str(err.value)


def test_sniff_by_content() -> None:
    assert sniff_type((REFERRALS / "referral-03.pdf").read_bytes(), "x.docx") == "pdf"
    assert sniff_type((REFERRALS / "referral-01.docx").read_bytes(), "x") == "docx"
    assert sniff_type((REFERRALS / "referral-02.doc").read_bytes(), "x") == "doc"
    assert sniff_type((REFERRALS / "referral-01-protected.docx").read_bytes(),
                      "x") == "encrypted-office"
    assert sniff_type(b"\x78\x9f\x3e\x22rest", "winmail.dat") == "tnef"
    assert sniff_type(b"", "x") == "empty"
    assert sniff_type(b"hello", "x") == "unknown"


def test_oversized_file_refused_before_reading() -> None:
    with pytest.raises(ParseError) as err:
        _parse(b"%PDF-1.4" + b"0" * (26 * 1024 * 1024), "big.pdf")
    assert err.value.kind == "too_large"


def test_explain_names_labels_and_locations_never_values() -> None:
    data = (REFERRALS / "referral-01.docx").read_bytes()
    result = _parse(data, "referral-01.docx", explain=True)
    by_field = {i.field: i for i in result.explain}
    assert by_field["child.full_name"].label == "Child’s full name"
    assert by_field["child.full_name"].where == "table 3 row 2 cell 2 (cell to the right)"
    assert not by_field["child.school"].found
    record = result.record.model_dump(mode="json")
    values = {v for v in (record["child"]["full_name"], record["notifier"]["name"]) if v}
    for item in result.explain:
        assert not any(v in f"{item.label} {item.where} {item.note}" for v in values)
