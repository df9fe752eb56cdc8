"""mailbot's readers on real mail from other projects' public corpora (tests/corpora/).

Prints the rate per corpus (``pytest -s`` shows them) and fails under the
targets of issue 14: bounces and delays each recognised ≥ 99 %, auto-replies
≥ 99 %, no auto-generated message ever treated as a person's mail, no delay
or success report raising a bounce, the new text of a reply right ≥ 95 %,
and approve/reject ≥ 99 % on real replies whose new text is replaced by an
answer (a miss is "unclear", never the opposite decision).
"""

from __future__ import annotations

import pytest

from mailbot.inbound import classify as k
from mailbot.inbound.classify import machine_kind
from mailbot.inbound.message import read_message
from mailbot.workflow.answers import APPROVE, REJECT, UNCLEAR, read_answer
from tests.mailreading.corpora import (
    MACHINE, REPLIES, Score, as_message, labels, machine_raw, new_text_right, reply_raw, reply_text,
)

EXPECTED_KIND = {"bounce": k.BOUNCE, "delay": k.DELAY, "success": k.DELIVERED, "auto_reply": k.AUTO_REPLY,
                 "feedback": k.FEEDBACK_REPORT, "human": None}


def _machine_scores(corpus: str) -> tuple[dict[str, Score], Score, list[str], list[str]]:
    by_kind: dict[str, Score] = {}
    recipients = Score()
    false_alarms: list[str] = []  # delays and success reports read as bounces
    answered: list[str] = []  # machine mail read as a person's
    for name, label in sorted(labels(corpus).items()):
        if label["kind"] == "excluded":
            continue
        got = machine_kind(read_message(machine_raw(corpus, name)))
        kind = got.kind if got else None
        by_kind.setdefault(label["kind"], Score()).add(kind == EXPECTED_KIND[label["kind"]], name)
        if label["kind"] in ("delay", "success") and kind == k.BOUNCE:
            false_alarms.append(name)
        if label["kind"] != "human" and kind is None:
            answered.append(name)
        if label.get("recipients") and kind in (k.BOUNCE, k.DELAY):
            found = {a.lower() for a in got.failed_recipients}
            recipients.add(set(label["recipients"]) <= found, name)
    return by_kind, recipients, false_alarms, answered


@pytest.mark.parametrize("corpus", MACHINE)
def test_machine_mail(corpus):
    by_kind, recipients, false_alarms, answered = _machine_scores(corpus)
    print(f"\n[{corpus}]")
    for kind, score in sorted(by_kind.items()):
        print("  " + score.line(f"{kind} recognised"))
    if recipients.total:
        print("  " + recipients.line("failed recipients found"))
    print(f"  delays/success reports read as bounces: {len(false_alarms)} {false_alarms[:5]}")
    print(f"  machine mail read as a person's: {len(answered)} {answered[:5]}")
    for kind in ("bounce", "delay", "auto_reply"):
        if kind in by_kind:
            assert by_kind[kind].rate >= 0.99, by_kind[kind].line(kind)
    assert by_kind.get("human", Score()).rate == 1.0, by_kind["human"].line("human mail")
    assert not false_alarms
    assert not answered
    if recipients.total:
        assert recipients.rate >= 0.95, recipients.line("recipients")


@pytest.mark.parametrize("corpus", REPLIES)
def test_new_text(corpus):
    score = Score()
    for name, label in sorted(labels(corpus).items()):
        score.add(new_text_right(read_message(reply_raw(corpus, name)).new_text, label), name)
    print(f"\n[{corpus}] " + score.line("new text right"))
    assert score.rate >= 0.95, score.line("new text")


#: (the answer written in place of the reply's new text, what a careful reader makes of it)
ANSWERS = [
    ("APPROVE", APPROVE),
    ("Approved, thanks", APPROVE),
    ("APPROVE – good work, thank you all", APPROVE),
    ("REJECT the chronology is incomplete", REJECT),
    ("Reject: please check the dates", REJECT),
    ("Approve once the dates are corrected", UNCLEAR),
    ("Approve? I have not read it all", UNCLEAR),
]


def _substituted(corpus: str, name: str, label: dict, answer: str) -> bytes | None:
    """The reply with its new text (first … last words) replaced by ``answer``; None when it cannot be."""
    if name.endswith(".eml"):
        msg = read_message(reply_raw(corpus, name))
        text, html = msg.text, False
    else:
        text, html = reply_text(corpus, name), name.endswith(".html")
    start = text.find(label["first"])
    end = text.find(label["last"], start) if start >= 0 else -1
    if start < 0 or end < 0:
        return None
    body = text[:start] + (answer.replace("\n", "<br>") if html else answer) + text[end + len(label["last"]):]
    return as_message(body, html=html)


@pytest.mark.parametrize("corpus", REPLIES)
def test_answers_read_from_real_replies(corpus):
    score = Score()
    opposite: list[str] = []
    for name, label in sorted(labels(corpus).items()):
        for answer, verb in ANSWERS:
            raw = _substituted(corpus, name, label, answer)
            if raw is None:
                continue
            got = read_answer(read_message(raw).new_text).verb
            score.add(got == verb, f"{name}:{answer[:12]}")
            if got != verb and got != UNCLEAR:
                opposite.append(f"{name}:{answer} -> {got}")
    print(f"\n[{corpus}] " + score.line("answers read"))
    assert not opposite, opposite[:5]
    assert score.rate >= 0.99, score.line("answers")
