"""A business manager's review milestones by email: ``DONE`` and ``PUBLISH``.

The review's later steps (panel meetings, the first draft, the draft to the
board, the final report, action plans, completion) happen in meetings, not
in the mailbox, so a business manager tells the bot: ``DONE WS-2026-0001
first draft 12/06/2026`` (no date: today). The words after the reference
are a milestone's id or label, or a word the regime lists under
``stage2.commands`` (``completion``). ``PUBLISH WS-2026-0001 ON 03/11/2026``
sets the planned publication date (:mod:`mailbot.workflow.publication`).
The classifier has already checked the sender (a business manager's
configured address, no authentication failure reported by the board's own
server); the answer is one line, in reply, whatever happened.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from mailbot.inbound.classify import Classification, FormOutcome
from mailbot.inbound.message import MailMessage
from mailbot.inbound.review_commands import review_command
from mailbot.mailbox.base import Folder
from mailbot.runtime import BoardRuntime
from mailbot.workflow.cases import Outcome, find_case
from mailbot.workflow.common import audit, reply
from mailbot.workflow.publication import set_date, set_publication


def _long(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def split_date(rest: str) -> tuple[str, dt.date | None, str | None]:
    """(milestone words, the date written at the end or None, a problem with it)."""
    from mailbot.pack.scheduled import parse_date

    words = rest.replace(",", " ").split()
    if words and words[-1].lower() == "today":
        return " ".join(words[:-1]), None, None
    for take in (4, 3, 1):  # "Friday 12 June 2026", "12 June 2026", "12/06/2026"
        if len(words) < take:
            continue
        try:
            return " ".join(words[:-take]), parse_date(" ".join(words[-take:])), None
        except ValueError as err:
            if take == 1 and any(ch.isdigit() for ch in words[-1]):
                return " ".join(words[:-1]), None, str(err)
    return " ".join(words), None, None


def milestone_named(rt: BoardRuntime, words: str) -> str | None:
    """The regime milestone or event ``words`` mean, or None (never a guess)."""
    key = " ".join(words.lower().replace("_", " ").split()).removeprefix("the ")
    regime = rt.board.regime
    commands = {k.lower(): v for k, v in (regime.stage2.commands if regime.stage2 else {}).items()}
    if key in commands:
        return commands[key]
    for rule in regime.milestones:
        if key in (rule.id.replace("_", " "), rule.label.lower()):
            return rule.id
    return next((name for name in regime.events if key == name.replace("_", " ")), None)


def _label(rt: BoardRuntime, name: str) -> str:
    return rt.board.regime.anchor_label(name)


def record_done(s: Session, rt: BoardRuntime, case, rest: str, by: str) -> tuple[bool, str]:  # noqa: ANN001
    """``DONE <ref> <milestone> [<date>]``: the one line the business manager is told."""
    from mailbot.workflow.progress import case_milestones, entered_date_problem

    ref = case.reference
    words, day, problem = split_date(rest)
    if problem:
        return False, f"Nothing was recorded for {ref}: {problem}."
    if not words:
        return False, (f"Nothing was recorded for {ref}: name the milestone, e.g. "
                       f"DONE {ref} first draft {rt.today():%d/%m/%Y}.")
    name = milestone_named(rt, words)
    if name is None:
        known = sorted({*(rt.board.regime.stage2.commands if rt.board.regime.stage2 else {})} |
                       {m.id.replace("_", " ") for m in rt.board.regime.milestones if m.applies_when})
        return False, f'Nothing was recorded for {ref}: "{words[:60]}" is not a milestone (try: {", ".join(known)}).'
    day = day or rt.today()
    if day > rt.today():
        return False, f"Nothing was recorded for {ref}: {_long(day)} has not come yet."
    if case.status != "open":
        return False, f"Case {ref} is closed, so nothing was recorded."
    problem = entered_date_problem(rt.board, case, name, day)
    if problem:
        return False, f"Nothing was recorded for {ref}: {problem}."
    previous = set_date(s, rt, case, name, day, "done", by)
    audit(s, rt, "milestone_done", f"{name} on {day.isoformat()} by {by}"
          f"{f' (replaces {previous.isoformat()})' if previous else ''}", case)
    # Met or missed in the rule's own unit (working days, or calendar days for weeks and months).
    items = [i.milestone for i in case_milestones(rt.board, case)]
    item = next((m for m in items if name in (m.id, m.done_by)), None)
    verdict = item.standing(rt.today(), day).verdict() if item is not None and item.due is not None else None
    met = f" (due {item.due:%d/%m/%Y}: {verdict})" if item is not None and verdict else ""
    moved = f"; this replaces {previous:%d/%m/%Y}" if previous else ""
    return True, f"Recorded for {ref}: {_label(rt, name)}, done {_long(day)}{met}{moved}."


def handle_review_command(s: Session, rt: BoardRuntime, msg: MailMessage, cls: Classification,
                          forms: list[FormOutcome], msg_row_id: int) -> Outcome:
    """A business manager's ``DONE`` or ``PUBLISH`` email, answered in one line."""
    from mailbot.pack.scheduled import parse_date

    command = review_command(msg.subject)
    assert command is not None  # the classifier saw one
    case = find_case(s, rt, command.reference)
    by = msg.from_addr
    if case is None:
        ok, line = False, f"There is no case {command.reference}, so nothing was recorded."
    elif command.verb == "done":
        ok, line = record_done(s, rt, case, command.rest, by)
    else:
        try:
            ok, line = set_publication(s, rt, case, parse_date(command.rest), by)
        except ValueError as err:
            ok, line = False, f"No publication date was set for {command.reference}: {err}."
    if not ok:
        audit(s, rt, f"{command.verb}_refused", command.reference, case)
    reply(s, rt, "review/answer", kind="review_answer", to=msg.from_addr, dedupe_key=f"review-answer:{msg_row_id}",
          in_reply_to=msg.message_id, references=msg.references, case=case,
          context={"line": line, "sender_name": msg.from_name, "original_subject": msg.subject})
    return Outcome(Folder.PROCESSED, None if ok else f"{command.verb.upper()} {command.reference}: not recorded",
                   case)
