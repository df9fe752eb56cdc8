"""``mailbot inspect MAIL.eml --board B [--json]``: what mailbot would make of a message, changing nothing.

For an admin answering "why was this held?": the message's kind and the
reasons, who the sender is to the board, the case and request it belongs
to, its new text, the answer read from it (approve / reject / unclear, not
known, a decision, a portal pointer, a delivery report) and the forms found.
The database is only read (no schema upgrade, no commit; without one, the
case and request are left out); nothing is sent and no file is kept.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mailbot.errors import MailbotError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("inspect", help="show what mailbot would make of an email, changing nothing",
                       description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("file", metavar="MAIL.eml", help="the message as received (.eml)")
    p.add_argument("--board", required=True, help="board slug or path to a board YAML")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=run)


def inspect_message(raw: bytes, board: Any, store: Any | None = None) -> dict[str, Any]:  # noqa: ANN401
    """The findings for one raw message (pure when ``store`` is None; read-only otherwise)."""
    from mailbot.directory import Directory
    from mailbot.inbound.classify import classify, subject_reference
    from mailbot.inbound.forms import read_forms
    from mailbot.inbound.message import MailProblem, read_message

    try:
        msg = read_message(raw)
    except MailProblem as err:
        return {"kind": "unreadable_message", "reasons": [str(err)]}
    forms = read_forms(board, msg, [])
    reference = subject_reference(msg.subject, board.config.reference_prefix)
    thread, known_ref, request = None, None, None
    if store is not None:
        thread, known_ref, request = _from_store(store, board.slug, msg, reference)
    directory = Directory(board.config)
    cls = classify(msg, board.config, directory, forms, thread, known_ref, [])
    identity = cls.identity
    return {
        "kind": cls.kind,
        "reasons": cls.reasons,
        "sender": {"address": msg.from_addr or None, "role": identity.role,
                   "agency": identity.agency.name if identity.agency else None},
        "automatic": msg.automatic,
        "case": cls.case_reference if identity.known else None,
        "claimed_case": reference,
        "thread": thread.kind if thread else None,
        "request": request,
        "new_text": msg.new_text,
        "answer": _answer(msg, cls),
        "forms": [{"file": f.filename, "type": f.form_type, "error": f.error, "ignored": f.ignored}
                  for f in forms],
    }


def _answer(msg: Any, cls: Any) -> dict[str, Any]:  # noqa: ANN401
    """What the new text answers, read by the rules in ``workflow/answers.py``."""
    from mailbot.inbound import classify as k
    from mailbot.workflow import answers

    if msg.delivery is not None:
        d = msg.delivery
        return {"delivery": d.action, "recipients": list(d.recipients), "about": d.original_message_id}
    if cls.kind == k.CHAIR_REPLY:
        docs = [a for a in msg.attachments if a.filename.lower().endswith(".docx")]
        others = [a for a in msg.attachments if not a.filename.lower().endswith(".docx")]
        got = answers.read_answer(msg.new_text, document_attached=bool(docs), other_attached=bool(others))
        decision = answers.read_decision(msg.new_text)
        return {"approval": got.verb, "reason": got.reason, "why": got.why, "decision": decision.decision}
    if cls.kind == k.SETTLE_REPLY:
        from mailbot.workflow.settle_commands import read_settle_command

        got = read_settle_command(msg.new_text)
        return {"settle": got.command, "case": got.case_reference, "agency": got.agency, "why": got.why}
    said = answers.says_not_known(msg.subject, msg.new_text)
    return {"not_known": said} if said else {}


def _from_store(store: Any, board: str, msg: Any, reference: str | None) -> tuple:  # noqa: ANN401
    from mailbot.inbound.classify import SentInfo
    from mailbot.store.models import Case
    from mailbot.workflow.cases import case_exists, sent_mail

    with store.session() as s:
        found = sent_mail(s, board, msg.thread_ids)
        thread = request = None
        if found is not None:
            row, req = found
            case = s.get(Case, row.case_id) if row.case_id else None
            thread = SentInfo(row.message_id, row.kind, case.reference if case else None,
                              req.agency if req else None, req.id if req else None)
            if req is not None:
                request = {"agency": req.agency, "status": req.status, "due_on": req.due_on.isoformat(),
                           "chase_level": req.chase_level}
        known = reference if reference and case_exists(s, board, reference) else None
        s.rollback()
    return thread, known, request


def _store(args: argparse.Namespace) -> Any | None:  # noqa: ANN401
    """The board's database, read only; None when there is none yet (a fresh machine)."""
    from mailbot.settings import Settings
    from mailbot.store.db import open_store

    url = Settings.load(getattr(args, "data_dir", None), getattr(args, "database_url", None),
                        getattr(args, "config_dir", None)).database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    try:
        return open_store(url, upgrade_schema=False)
    except Exception:  # noqa: BLE001 - without a database the message is still inspected
        return None


def run(args: argparse.Namespace) -> int:
    from mailbot.config import load_board

    config_dir = Path(args.config_dir) if getattr(args, "config_dir", None) else None
    board = load_board(args.board, config_dir)
    try:
        raw = Path(args.file).read_bytes()
    except OSError as err:
        raise MailbotError(f"cannot read {Path(args.file).name}: {err.strerror}") from err
    store = _store(args)
    try:
        found = inspect_message(raw, board, store)
    finally:
        if store is not None:
            store.dispose()
    if args.json:
        print(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return 0
    print(f"kind: {found['kind']}")
    for reason in found.get("reasons", []):
        print(f"  because: {reason}")
    for key in ("sender", "automatic", "case", "claimed_case", "thread", "request", "answer"):
        if found.get(key) not in (None, {}, []):
            print(f"{key}: {json.dumps(found[key], ensure_ascii=False, default=str)}")
    for form in found.get("forms", []):
        print(f"form: {form['file']}: {form['type'] or form['error'] or 'ignored'}")
    if "new_text" in found:
        print("new text:")
        for line in (found["new_text"] or "(empty)").splitlines()[:40]:
            print(f"  | {line}")
    return 0
