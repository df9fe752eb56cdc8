"""Sending the scoping pack: once per distinct content, in the caller's transaction.

Who gets it: the board's ``pack_recipients`` (default: the sub-group chair),
with the business managers copied. When: every agency asked has answered
(:func:`mailbot.pack.actions.after_all_returns_in`), a business manager asks
(``PACK <ref>`` by email, ``mailbot pack <ref>``), the date a business manager
set comes (:mod:`mailbot.pack.scheduled`), or an agency answers after a pack
went (an *updated* pack, marked as such). A pack that goes clears the date set.

The outbox dedupe key is ``{board}:pack:{reference}:{fingerprint}``, the
fingerprint being a hash of the records the pack holds and every agency's
answer. A later return changes the fingerprint, so an updated pack can go;
the same contents give the same key, so the same pack never goes twice,
however often it is asked for. The pack's files are stored, the email
queued and the audit row written together, or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import Row, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailbot.config import BoardConfig, Person
from mailbot.outbound import outbox
from mailbot.pack.build import build_pack
from mailbot.pack.collect import PACK_KIND, collect
from mailbot.pack.sections import changes_since
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case, OutboxMail
from mailbot.workflow.common import audit, notify_business_managers, store_attachment

log = logging.getLogger("mailbot.pack")

REASONS = {
    "all_returns_in": "It is sent because every agency asked has now answered.",
    "later_return": "It is sent because an agency answered after the last pack went.",
    "request_email": "It is sent because {who} asked for it.",
    "request_cli": "It is sent because a business manager asked for it.",
    "scheduled": "It is sent because this is the date a business manager set for it.",
    "review_returns_in": "It is sent, updated, because every agency has now answered what the review asked "
                         "for (chronologies, merged below, and reports).",
}


@dataclass
class PackResult:
    #: ``sent`` (queued), or ``unchanged`` (this exact pack went before: nothing queued).
    status: str
    version: int
    sent_on: dt.date | None = None
    recipients: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    rows: int = 0
    undated: int = 0
    groups: int = 0
    missing: list[str] = field(default_factory=list)


def recipients(cfg: BoardConfig, trigger: str | None = None) -> tuple[list[Person], list[Person]]:
    """(To, Cc): the pack recipients (or the sub-group chair), the business managers copied;
    once the review's returns are in, the review panel when the board names one."""
    to = list(cfg.pack_recipients) or [cfg.subgroup_chair]
    if trigger == "review_returns_in" and cfg.review_panel:
        to = list(cfg.review_panel)
    cc = [bm for bm in cfg.business_managers if bm.email not in {p.email for p in to}]
    return to, cc


def dedupe_key(rt: BoardRuntime, case: Case, fingerprint: str) -> str:
    return f"{rt.slug}:pack:{case.reference}:{fingerprint}"


def _unchanged(s: Session, rt: BoardRuntime, case: Case, earlier: Row) -> PackResult:
    """This very pack went before: which version it was, when and to whom."""
    row_id, created_at, sent_to = earlier
    version = 1 + (s.scalar(select(func.count(OutboxMail.id)).where(
        OutboxMail.case_id == case.id, OutboxMail.kind == PACK_KIND, OutboxMail.id < row_id)) or 0)
    return PackResult("unchanged", version, rt.board.calendar.today(created_at), list(sent_to))


def send_pack(s: Session, rt: BoardRuntime, case: Case, trigger: str,
              requested_by: str | None = None) -> PackResult:
    """Queue the case's pack unless this very pack went before; audit either way it is sent."""
    inp = collect(s, rt, case)
    key = dedupe_key(rt, case, inp.fingerprint())
    earlier = s.execute(select(OutboxMail.id, OutboxMail.created_at, OutboxMail.recipients)
                        .where(OutboxMail.dedupe_key == key)).first()
    if earlier is not None:
        return _unchanged(s, rt, case, earlier)
    built = build_pack(s, rt, case, REASONS[trigger].format(who=requested_by or "a business manager"), inp)
    for f in built.files:
        store_attachment(s, rt, f.filename, f.data, hashlib.sha256(f.data).hexdigest(), f.content_type or "")
    to, cc = recipients(rt.board.config, trigger)
    chron, previous = built.chronology, inp.previous[-1] if inp.previous else None
    missing = [a.agency for a in inp.agencies if a.status == "missing"]
    answered = sum(1 for a in inp.agencies if a.request_id and a.status != "missing")
    context = {
        "to_names": " and ".join(p.name for p in to), "version": inp.version, "updated": previous is not None,
        "previous_version": previous.version if previous else None,
        "previous_sent": f"{previous.sent_on:%d/%m/%Y}" if previous else "",
        "reason": REASONS[trigger].format(who=requested_by or "a business manager"),
        "changes": changes_since(inp, files=False),
        "asked": sum(1 for a in inp.agencies if a.request_id), "answered": answered,
        "returned": sum(1 for a in inp.agencies if a.status == "returned"),
        "not_known": sum(1 for a in inp.agencies if a.status.startswith("not known")), "missing": missing,
        "files": [f.filename for f in built.files], "rows": len(chron.dated), "undated": len(chron.undated),
        "groups": len({r.group for r in chron.dated if r.group}), "reports_kept": built.reports_kept,
    }
    msg = rt.composer.build("pack", kind=PACK_KIND, to=to, cc=cc, now=rt.now(), case_reference=case.reference,
                            attachments=built.files, context=context)
    outbox.queue(s, board=rt.slug, kind=PACK_KIND, dedupe_key=key, message=msg, now=rt.now(), case_id=case.id)
    if case.pack_on is not None:  # the date set for it is spent: this pack went sooner, or on it
        if trigger != "scheduled":
            audit(s, rt, "pack_date_cleared", f"{case.pack_on.isoformat()}: a pack went sooner ({trigger})", case)
        case.pack_on = None
    ids = ",".join(map(str, inp.record_ids))
    waiting = ",".join(map(str, inp.outstanding_ids))
    audit(s, rt, "pack_sent", f"version {inp.version}; records {ids}; outstanding {waiting}; {trigger}; "
          f"{len(chron.dated)} dated and {len(chron.undated)} undated rows, {context['groups']} same-event "
          f"groups; {len(missing)} agencies missing", case)
    log.info("%s: scoping pack version %d for %s queued (%s, %d rows)", rt.slug, inp.version, case.reference,
             trigger, len(chron.rows))
    return PackResult("sent", inp.version, inp.today, [p.email for p in [*to, *cc]],
                      [(f.filename, f.data) for f in built.files], len(chron.dated), len(chron.undated),
                      context["groups"], missing)


def pack_safely(s: Session, rt: BoardRuntime, case: Case, trigger: str,
                requested_by: str | None = None) -> PackResult | None:
    """``send_pack``, but a failure to make the pack tells the business managers instead of raising."""
    try:
        return send_pack(s, rt, case, trigger, requested_by)
    except SQLAlchemyError:
        raise  # the database failed, not the pack: the whole step rolls back and is tried again
    except Exception as err:  # noqa: BLE001 - the answer that triggered it must still be recorded
        log.error("%s: scoping pack for %s could not be made: %s", rt.slug, case.reference, type(err).__name__)
        audit(s, rt, "pack_failed", f"{trigger}: {type(err).__name__}", case)
        notify_business_managers(
            s, rt, dedupe_key=f"pack-failed:{case.reference}:{len(case.records)}:{trigger}", case=case,
            headline="The scoping pack could not be made",
            reason=f"mailbot could not make the scoping pack ({type(err).__name__}); nothing was sent. "
                   f"Once the cause is fixed, run: mailbot pack {case.reference}")
        return None


def pack_went(s: Session, case: Case) -> bool:
    return s.scalar(select(OutboxMail.id).where(OutboxMail.case_id == case.id, OutboxMail.kind == PACK_KIND)
                    .limit(1)) is not None
