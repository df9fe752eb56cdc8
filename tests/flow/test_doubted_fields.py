"""The business manager's notice names the referral fields the reader doubts (issue 13, item 6)."""

from __future__ import annotations

import email
import io
import zipfile
from email import policy

from lxml import etree
from sqlalchemy import select

from mailbot.daemon import drain
from mailbot.demo.mailbox import deliver
from mailbot.store.models import OutboxMail
from tests.conftest import SAMPLES

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
REFERRAL_EMAIL = SAMPLES / "emails" / "06-referral-outlook.eml"


def _without_notifier_name(raw: bytes) -> bytes:
    """The same email, its referral form's "Notifying professional" answer left blank."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    part = next(msg.iter_attachments())
    data = part.get_content()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "word/document.xml":
                body = _blank_answer_of(body, "Notifying professional")
            dst.writestr(item, body)
    part.set_content(out.getvalue(), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                     filename=part.get_filename())
    return msg.as_bytes()


def _blank_answer_of(xml: bytes, label: str) -> bytes:
    """Clear the text of the cell to the right of the cell that starts with ``label``."""
    root = etree.fromstring(xml)
    for tc in root.iter(W + "tc"):
        if "".join(t.text or "" for t in tc.iter(W + "t")).startswith(label):
            answer = tc.getnext()
            while answer is not None and answer.tag != W + "tc":
                answer = answer.getnext()
            for t in answer.iter(W + "t"):
                t.text = ""
            return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    raise AssertionError(f"no cell starts with {label!r}")


def _notices(rt) -> list[OutboxMail]:
    with rt.store.session() as s:
        return [m for m in s.scalars(select(OutboxMail).where(OutboxMail.kind == "notice"))
                if "doubted-fields" in m.dedupe_key]


def _run(rt, raw: bytes) -> None:
    deliver(rt.data_dir / "mail" / rt.slug / "inbox", [raw], start=1_700_000_000)
    while drain(rt).handled:
        pass


def test_a_required_field_not_found_is_named_in_the_notice(maildir_runtime):
    _run(maildir_runtime, _without_notifier_name(REFERRAL_EMAIL.read_bytes()))
    notices = _notices(maildir_runtime)
    assert len(notices) == 1
    text = email.message_from_bytes(notices[0].raw, policy=policy.default).get_body(
        ("plain",)).get_content()
    assert "notifier.name" in text
    assert "Olivia" not in text  # the field's name, never the child's or anyone's data


def test_a_form_read_in_full_raises_no_such_notice(maildir_runtime):
    _run(maildir_runtime, REFERRAL_EMAIL.read_bytes())
    assert _notices(maildir_runtime) == []
