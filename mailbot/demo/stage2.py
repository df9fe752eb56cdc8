"""Demo step: stage 2, with the clock moved forward (requests, a return, a chaser, publication).

After the Chair approved the SCR notification (:mod:`.approval`), the Chair
approves the agencies' letter by reply and the stage-2 requests go; one
agency sends its report back on its request's thread; the clock jumps to
the working day the first chronology reminders are due; a business manager
emails ``PUBLISH <ref> ON <date>`` and the Chair approves the report to the
Panel. Everything goes through the mailbox and the daemon's ``drain``, as
real mail would. Returns lines for ``mailbot demo`` to print.
"""

from __future__ import annotations

import io
from collections import Counter
from email.message import EmailMessage
from email.utils import format_datetime

from docx import Document
from sqlalchemy import func, select

from mailbot.daemon import drain
from mailbot.demo.approval import chair_reply
from mailbot.demo.days import step_day
from mailbot.demo.mailbox import deliver, inbox_of
from mailbot.runtime import BoardRuntime
from mailbot.store.approvals_models import AWAITING, Draft
from mailbot.store.models import Case, OutboxMail
from mailbot.store.review_models import ReviewDate, ReviewRequest

_uid = iter(range(1_950_000_000, 1_960_000_000, 10))


def _arrive(rt: BoardRuntime, raw: bytes) -> None:
    deliver(inbox_of(rt), [raw], start=next(_uid))
    while drain(rt).handled:
        pass


def _last_id(rt: BoardRuntime) -> int:
    with rt.store.session() as s:
        return s.scalar(select(func.max(OutboxMail.id)).where(OutboxMail.board == rt.slug)) or 0


def _sent_since(rt: BoardRuntime, last: int) -> list[OutboxMail]:
    with rt.store.session() as s:
        return list(s.scalars(select(OutboxMail).where(OutboxMail.board == rt.slug, OutboxMail.id > last)
                              .order_by(OutboxMail.id)))


def _approve(rt: BoardRuntime, case_id: int, kind: str) -> list[OutboxMail]:
    with rt.store.session() as s:
        draft = s.scalar(select(Draft).where(Draft.case_id == case_id, Draft.kind == kind, Draft.status == AWAITING))
        if draft is None:
            return []
        asked = s.scalar(select(OutboxMail).where(OutboxMail.message_id == draft.message_id))
        token, subject, mid = draft.token, asked.subject, asked.message_id
    last = _last_id(rt)
    domain = rt.board.config.chair.email.split("@")[1]
    _arrive(rt, chair_reply(rt, subject, mid, "APPROVE", f"<demo-{token[1:].lower()}@{domain}>"))
    return _sent_since(rt, last)


def _email(rt: BoardRuntime, sender: str, subject: str, body: str, reply_to: OutboxMail | None = None,
           attachment: tuple[str, bytes] | None = None) -> bytes:
    cfg = rt.board.config
    msg = EmailMessage()
    domain = sender.split("@")[1]
    msg["Authentication-Results"] = f"{cfg.authserv_id}; dkim=pass header.d={domain}; dmarc=pass"
    msg["From"], msg["To"], msg["Subject"] = sender, cfg.mailbox_address.formatted(), subject
    msg["Date"] = format_datetime(rt.now())
    msg["Message-ID"] = f"<demo-{next(_uid)}@{domain}>"
    if reply_to is not None:
        msg["In-Reply-To"] = msg["References"] = reply_to.message_id
    msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="vnd.openxmlformats-officedocument."
                           "wordprocessingml.document", filename=attachment[0])
    return bytes(msg)


def _report() -> bytes:
    doc = Document()
    doc.add_heading("Individual Management Review", level=1)
    doc.add_paragraph("The agency's review of its involvement (fictional demo document).")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _counts(rows: list[OutboxMail]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in Counter(r.kind for r in rows).items()) or "nothing"


def _case_id(rt: BoardRuntime, reference: str) -> int | None:
    with rt.store.session() as s:
        case = s.scalar(select(Case).where(Case.reference == reference))
        return case.id if case is not None and case.decision == "scr" else None


def demo_requests(rt: BoardRuntime, reference: str) -> list[str]:
    """The Chair approves the agencies' letter: the stage-2 requests go; one agency returns its report."""
    case_id = _case_id(rt, reference)
    if case_id is None:
        return [f"{reference} is not an SCR: nothing to demonstrate."]
    with rt.store.session() as s:
        if s.scalar(select(ReviewRequest.id).where(ReviewRequest.case_id == case_id).limit(1)):
            return ["already done on an earlier run of the demo: nothing is sent twice"]
    rt.clock.advance(hours=1)
    went = _approve(rt, case_id, "agencies_letter")
    requests = [r for r in went if r.kind == "review_request"]
    lines = [f"The Chair approved the agencies' letter; with it went {len(requests)} stage-2 requests:"]
    with rt.store.session() as s:
        asked = list(s.scalars(select(ReviewRequest).where(ReviewRequest.case_id == case_id)))
    for kind in dict.fromkeys(r.kind for r in asked):
        mine = [r for r in asked if r.kind == kind]
        lines.append(f"  {kind.replace('_', ' ')} from {len(mine)} agencies, due {mine[0].due_on:%d/%m/%Y}")
    first = next((r for r in asked if r.kind != "chronology"), None)
    if first is None:
        return lines
    request_mail = next(m for m in requests if m.message_id == first.message_id)
    last = _last_id(rt)
    _arrive(rt, _email(rt, first.contact_email, f"RE: {request_mail.subject}", "Our report is attached.",
                       request_mail, (f"{first.agency} report.docx", _report())))
    lines.append(f"{first.agency} returned its {first.kind.replace('_', ' ')} on the request's thread: "
                 f"{_counts(_sent_since(rt, last))} sent.")
    return lines


def demo_review(rt: BoardRuntime, reference: str) -> list[str]:
    """The clock jumps to the chronology reminders; publication is set by email and the Chair approves."""
    case_id = _case_id(rt, reference)
    with rt.store.session() as s:
        asked = list(s.scalars(select(ReviewRequest).where(ReviewRequest.case_id == case_id)))
        if case_id is None or not asked:
            return ["no stage-2 requests to follow"]
        if s.scalar(select(ReviewDate.id).where(ReviewDate.case_id == case_id, ReviewDate.name == "publication")):
            return ["already done on an earlier run of the demo: nothing is sent twice"]
    lines: list[str] = []
    chronology_due = min(r.due_on for r in asked if r.kind == "chronology")
    cal = rt.board.calendar
    chase_day = cal.add_working_days(chronology_due, rt.board.regime.chasing.steps[0].after_working_days)
    last = _last_id(rt)
    step_day(rt, chase_day)
    chased = [r for r in _sent_since(rt, last) if r.kind == "review_chase"]
    lines.append(f"Clock moved to {chase_day:%a %d/%m/%Y}: {len(chased)} chronology reminders sent "
                 f"(2 working days after the due date), e.g. to {', '.join(chased[0].recipients) if chased else '-'}.")
    publish = cal.add_working_days(chase_day, 15)
    manager = rt.board.config.business_managers[0]
    last = _last_id(rt)
    _arrive(rt, _email(rt, manager.email, f"PUBLISH {reference} ON {publish:%d/%m/%Y}", ""))
    answer = next((r for r in _sent_since(rt, last) if r.kind == "review_answer"), None)
    lines.append(f"{manager.name} emailed PUBLISH {reference} ON {publish:%d/%m/%Y}; the answer:")
    if answer is not None:
        body = answer.raw.decode("utf-8", "replace").replace("\r", "").replace("=\n", "")
        lines.append("  " + next((p for p in body.split("\n\n") if p.startswith("Publication")),
                                 "(see the outbox)").replace("\n", " "))
    rt.clock.advance(hours=3)
    sent = [r for r in _approve(rt, case_id, "report_to_panel") if r.kind == "notification"]
    for row in sent:
        lines.append(f"The Chair approved it: '{row.subject}' sent to {', '.join(row.recipients)} "
                     f"on {rt.today():%d/%m/%Y}.")
    return lines
