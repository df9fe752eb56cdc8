"""An SCR from the decision to publication, through Dovecot and SMTP on a moving clock (Swindon)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from mailbot.pack.send import pack_safely
from mailbot.pack.build import front_sheet_for
from mailbot.store.models import Case
from mailbot.store.review_models import ReviewRequest
from mailbot.workflow import digest
from tests.stage2.conftest import addresses, decide, filled_chronology, opened_case, report_docx, to_chair

POLICE = "ppd.reviews@wiltshire-police.example"
CSC = "qa.reviews@childrens.swindon-council.example"
CSC_SENIOR = "robert.askew@childrens.swindon-council.example"
HEALTH = "named.nurse@gwh-nhs.example"
BM = "business.manager@swindon-lscb.example"
CHAIR = "chair@swindon-lscb.example"
NOTIFY = ["notifications@ofsted.example", "panel@nationalpanel.example", "scr.notifications@dfe.example"]
ROW = ["II", "03/03/2025", "10:15", "Wiltshire Police", "Visit", "Welfare check at the address.", "None.", "II"]


def _docx_text(data: bytes) -> str:
    """Paragraphs and table rows (cells joined by " | ") of a Word document."""
    import io

    from docx import Document

    doc = Document(io.BytesIO(data))
    rows = [" | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows]
    return "\n".join([p.text for p in doc.paragraphs] + rows)


def _kind(msgs, kind):  # noqa: ANN001, ANN202
    return [m for m in msgs if m["X-Mailbot-Kind"] == kind]


def _approve(b, kind: str) -> list:  # noqa: ANN001
    (d,) = [d for d in b.drafts(kind) if d.status == "awaiting_approval"]
    asked = to_chair(b, d.token, b.sent)
    b.reply(f"Gillian Harcourt-Vane <{CHAIR}>", asked, "APPROVE")
    return b.mail()


def test_scr_from_decision_to_publication(swindon):
    b = swindon
    ref = opened_case(b, {"Great Western Hospitals NHS Foundation Trust": "not_known"})
    with b.rt.store.transaction() as s:
        pack_safely(s, b.rt, s.scalar(select(Case).where(Case.reference == ref)), "all_returns_in")
    b.pump()
    assert len(_kind(b.mail(), "pack")) == 1  # the scoping pack, version 1

    b.day(dt.date(2026, 3, 2))
    decide(b, ref, "scr")
    b.mail()
    _approve(b, "scr_notification")
    went = _approve(b, "agencies_letter")
    # The agencies' letter went, and with it the stage-2 requests: the two agencies that know the child,
    # a chronology and a management report each; the hospital (not known to it) is not asked.
    requests = _kind(went, "review_request")
    assert sorted((addresses(m, "To")[0], m["Subject"].split(" requested")[0]) for m in requests) == [
        (POLICE, "Agency management report (IMR)"), (POLICE, "Chronology"),
        (CSC, "Agency management report (IMR)"), (CSC, "Chronology")]
    assert all(HEALTH not in addresses(m, "To") for m in requests)
    with b.rt.store.session() as s:
        due = {(r.agency, r.kind): r.due_on for r in s.scalars(select(ReviewRequest))}
    # Swindon's guide: chronologies by the end of week 9 from the referral (Mon 16 Feb), reports week 11.
    assert due[("Wiltshire Police", "chronology")] == dt.date(2026, 4, 20)
    assert due[("Wiltshire Police", "management_report")] == dt.date(2026, 5, 4)
    chron_req = {addresses(m, "To")[0]: m for m in requests if m["Subject"].startswith("Chronology")}
    report_req = {addresses(m, "To")[0]: m for m in requests if not m["Subject"].startswith("Chronology")}
    (blank,) = [p for p in chron_req[POLICE].iter_attachments()]
    assert blank.get_filename().endswith(".docx") and not list(report_req[POLICE].iter_attachments())

    # Tue 14 April: the police return the Swindon chronology form and, on the other thread, their report.
    b.day(dt.date(2026, 4, 14))
    b.reply(f"DS Amber Thornleigh <{POLICE}>", chron_req[POLICE], "Our chronology is attached.",
            attachments=[("chronology.docx", filled_chronology(blank.get_content(), [ROW]),
                          "application/vnd.openxmlformats-officedocument.wordprocessingml.document")])
    b.reply(f"DS Amber Thornleigh <{POLICE}>", report_req[POLICE], "Our IMR is attached.",
            attachments=[("Police IMR.docx", report_docx("Findings of the police review."),
                          "application/vnd.openxmlformats-officedocument.wordprocessingml.document")])
    thanks = _kind(b.mail(), "thanks")
    assert [addresses(m, "To") for m in thanks] == [[POLICE], [POLICE]]
    with b.rt.store.session() as s:
        police = {r.kind: r for r in s.scalars(select(ReviewRequest).where(ReviewRequest.agency == "Wiltshire Police"))}
        assert police["chronology"].status == "returned" and police["chronology"].record_id is not None
        assert police["management_report"].status == "returned" and police["management_report"].attachment_id

    # The working days to the middle of May, one by one: who is chased, when.
    chased: list[tuple[dt.date, str, list[str], list[str]]] = []
    day = dt.date(2026, 4, 15)
    while day <= dt.date(2026, 5, 12):
        if b.rt.board.calendar.is_working_day(day):
            b.day(day)
            if day == dt.date(2026, 4, 23):  # the digest shows the overdue chronology and its chasing
                overdue = digest.render(b.rt, day)[1]
            for m in b.mail():
                if m["X-Mailbot-Kind"] in ("review_chase", "review_escalation"):
                    chased.append((day, m["X-Mailbot-Kind"], addresses(m, "To"), addresses(m, "Cc")))
                    if day == dt.date(2026, 4, 27):  # after the second reminder, the chronology comes
                        b.day(dt.date(2026, 4, 28))
                        b.reply(f"Priya Vellacott <{CSC}>", m, "Attached, sorry for the delay.",
                                attachments=[("chron.docx", filled_chronology(blank.get_content(), [
                                    ["II", "10/01/2025", "", "Children's Services", "Visit", "Home visit.",
                                     "Plan reviewed.", "II"]]),
                                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")])
                    if day == dt.date(2026, 5, 6):  # the report reminder: a nil return
                        b.day(dt.date(2026, 5, 7))
                        b.reply(f"Priya Vellacott <{CSC}>", m, "Nil return: we have nothing to add.")
        day += dt.timedelta(days=1)
    # Chronology due Mon 20 April: reminders 2 and 5 working days after (Wed 22, Mon 27 April, the senior
    # manager copied); the return on the 28th stops the escalation. Report due Mon 4 May (a bank
    # holiday): a reminder 2 working days after, Wed 6 May. The police, who returned, are never chased.
    assert chased == [
        (dt.date(2026, 4, 22), "review_chase", [CSC], []),
        (dt.date(2026, 4, 27), "review_chase", [CSC], [CSC_SENIOR]),
        (dt.date(2026, 5, 6), "review_chase", [CSC], []),
    ]
    assert "Swindon Children's Services (chronology), due 20/04/2026, 3 working days late" in overdue
    assert "Chased: 22/04/2026 (reminder 1)" in overdue and "Wiltshire Police (chronology)" not in overdue
    packs = _kind(b.sent, "pack")
    assert len(packs) == 2  # the scoping pack, then the updated one when every stage-2 answer was in
    updated = packs[-1]
    assert addresses(updated, "To") == ["review.panel@swindon-lscb.example"]
    assert updated["Subject"].startswith("UPDATED scoping pack, version 2")
    assert "every agency has now answered what the review asked for" in updated.get_body(("plain",)).get_content()
    # The two stage-2 chronologies (police, children's services) are merged into the integrated chronology.
    assert "; 2 dated and 0 undated rows" in b.audit("pack_sent")[-1]
    assert any(p.get_filename().endswith(".xlsx") for p in updated.iter_attachments())
    # The police report goes with it as received, named by case, what it is and agency (not the sender's
    # file name); the cover lists every stage-2 request, the nil return among them.
    files = {p.get_filename(): p for p in updated.iter_attachments()}
    imr = files[f"{ref} Agency management report (IMR) – Wiltshire Police.docx"]
    assert "Findings of the police review." in _docx_text(imr.get_content())
    body = updated.get_body(("plain",)).get_content()
    assert "Agency management report (IMR) – Wiltshire Police.docx: an agency's report for the review" in body
    cover = _docx_text(files[f"{ref} scoping pack v2.docx"].get_content())
    assert "Asked 4: returned 3, nil returns 1, missing 0." in cover
    assert "Swindon Children's Services | Agency management report (IMR) | nil return" in cover
    assert f"{ref} Agency management report (IMR) – Wiltshire Police.docx" in cover

    # Milestones by email: a business manager records the first draft; a mistyped one is refused.
    b.day(dt.date(2026, 6, 12))
    b.send(f"Nadia Coldharbour <{BM}>", f"DONE {ref} first draft 12/06/2026", "")
    b.send(f"Nadia Coldharbour <{BM}>", f"DONE {ref} frist draft", "")
    fail = f"{b.cfg.authserv_id}; dmarc=fail header.from=swindon-lscb.example"
    b.send(f"Someone <{BM}>", f"DONE {ref} final report 12/06/2026", "", auth=fail)  # a forged business manager
    answers = [m.get_body(("plain",)).get_content() for m in _kind(b.mail(), "review_answer")]
    assert "Recorded for SW-2026-0001: First draft overview report to the Chair, done Friday 12 June 2026 " \
           "(due 25/05/2026: missed by 18 days)." in answers[0]  # 14 weeks: counted in calendar days
    assert '"frist draft" is not a milestone' in answers[1] and len(answers) == 2
    assert [d for d in b.audit("milestone_done") if d.startswith("final_report")] == []
    b.day(dt.date(2026, 8, 14))
    b.send(f"Nadia Coldharbour <{BM}>", f"DONE {ref} completion 27/02/2026", "")  # before the decision: refused
    (refused,) = _kind(b.mail(), "review_answer")
    assert ("\r\nNothing was recorded for SW-2026-0001: Completion of the review (27/02/2026) is dated before the "
            "Chair's decision (02/03/2026): one of the dates is wrong.\r\n") in refused.get_body(("plain",)).get_content()
    b.send(f"Nadia Coldharbour <{BM}>", f"DONE {ref} completion", "")
    (done,) = _kind(b.mail(), "review_answer")
    # Decided Mon 2 March: six months is Wed 2 September; completed Fri 14 August.
    assert "(due 02/09/2026: met with 19 days to spare)" in done.get_body(("plain",)).get_content()

    # Publication: too close is refused in one line; 3 September drafts the report to the Panel.
    b.day(dt.date(2026, 8, 17))
    b.send(f"Nadia Coldharbour <{BM}>", f"PUBLISH {ref} ON 20/08/2026", "")
    (refused,) = _kind(b.mail(), "review_answer")
    assert "20 August 2026 is too close" in refused.get_body(("plain",)).get_content()
    assert b.drafts("report_to_panel") == []
    b.send(f"Nadia Coldharbour <{BM}>", f"PUBLISH {ref} ON 03/09/2026", "")
    got = b.mail()
    (draft,) = b.drafts("report_to_panel")
    # 7 working days before Thu 3 September, the bank holiday Mon 31 August skipped: Mon 24 August.
    assert draft.due_on == dt.date(2026, 8, 24)
    line = _kind(got, "review_answer")[0].get_body(("plain",)).get_content()
    assert "Monday 24 August 2026" in line and draft.token in line
    assert [addresses(m, "To") for m in _kind(got, "draft")] == [[CHAIR]]
    assert _kind(got, "notification") == []  # nothing to the Panel before the Chair approves

    b.day(dt.date(2026, 8, 19))
    sent = _kind(_approve(b, "report_to_panel"), "notification")
    assert len(sent) == 1 and addresses(sent[0], "To") == NOTIFY and addresses(sent[0], "Cc") == [CHAIR]
    assert "3 September 2026" in sent[0].get_body(("plain",)).get_content()
    assert b.audit("notification_sent")[-1].endswith("milestone report_to_panel due 2026-08-24")
    # The same approval again sends nothing more.
    (d,) = b.drafts("report_to_panel")
    b.reply(f"Gillian Harcourt-Vane <{CHAIR}>", to_chair(b, d.token, b.sent), "APPROVE")
    assert _kind(b.mail(), "notification") == []
    assert len(_kind(b.sent, "notification")) == 3  # the SCR notification, the agencies' letter, the report

    # mailbot case / the front sheet and the digest show the review's dates.
    with b.rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == ref))
        _data, rows, _child = front_sheet_for(s, b.rt, case)
        text = digest.render(b.rt, dt.date(2026, 8, 20))[1]
    first = next(r for r in rows if r.label.startswith("First draft"))
    assert first.done == dt.date(2026, 6, 12) and first.status == "done 12/06/2026, missed by 18 days"
    report = next(r for r in rows if r.label.startswith("Report to Ofsted"))
    assert report.due == dt.date(2026, 8, 24) and report.done == dt.date(2026, 8, 19)
    assert report.status == "done 19/08/2026, met with 3 working days to spare"  # T20 F21 M24
    chron = next(r for r in rows if r.label.startswith("Agency chronologies"))
    assert chron.done == dt.date(2026, 4, 28) and chron.status == "done 28/04/2026, missed by 8 days"  # due 20/04
    assert any(r.label == "Chronology: 2 of 2 answered" for r in rows)
    assert "Publication planned for 03/09/2026" in text

    # Moved earlier after the report went: 26 August would have needed it by 17 August, so it is refused
    # and the date stays; moved later, it is recorded and nothing is drafted again.
    b.day(dt.date(2026, 8, 20))
    b.send(f"Nadia Coldharbour <{BM}>", f"PUBLISH {ref} ON 26/08/2026", "")
    (refused,) = _kind(b.mail(), "review_answer")
    assert "26 August 2026 is too close" in refused.get_body(("plain",)).get_content()
    b.send(f"Nadia Coldharbour <{BM}>", f"PUBLISH {ref} ON 10/09/2026", "")
    (moved,) = _kind(b.mail(), "review_answer")
    assert "now Thursday 10 September 2026. The report went to the Panel on 19/08/2026" in \
        moved.get_body(("plain",)).get_content().replace("\r\n", " ")
    assert len(b.drafts("report_to_panel")) == 1
