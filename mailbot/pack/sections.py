"""The words of the pack: cover sheet, referral summary and each return, as template data.

Everything here is plain strings and lists for the Word template
(``templates/documents/pack/scoping_pack.docx``), so the template decides
the look and this module only what is said. Family members' names go
through the case's initials key everywhere except the key itself; fields a
form left blank are left out rather than printed empty.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from mailbot.pack.chronology import Chronology, Source, ranges
from mailbot.pack.collect import STATUS_LABELS, AgencyLine, PackInput
from mailbot.pack.family import FamilyKey
from mailbot.pack.frontsheet import SheetRow
from mailbot.runtime import BoardRuntime
from mailbot.workflow.decisions import CRITERIA

_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
LIVES_WITH = {"home": "at home", "local_authority_care": "in local authority care", "relatives": "with relatives",
              "other": "elsewhere"}


def clean(value: Any) -> str:
    """Text a Word document can hold (no control characters), ``""`` for nothing."""
    if value is None:
        return ""
    return _XML_BAD.sub("", str(value)).strip()


def british(value: str | dt.date | None) -> str:
    if not value:
        return ""
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return f"{day:%d/%m/%Y}"


def _fields(pairs: list[tuple[str, Any]]) -> list[dict[str, str]]:
    return [{"label": label, "value": clean(value)} for label, value in pairs if clean(value)]


def _yes_no(value: bool | None) -> str:
    return {True: "Yes", False: "No"}.get(value, "")  # type: ignore[arg-type]


def referral_summary(data: dict[str, Any] | None, key: FamilyKey) -> dict[str, Any] | None:
    if not data:
        return None
    a = key.anonymise
    child, notifier, auth = data.get("child") or {}, data.get("notifier") or {}, data.get("authorisation") or {}
    initials = key.members[0].initials if key.members and key.members[0].relationship == "the child" else ""
    agencies = [" – ".join(x for x in (i.get("agency"), i.get("key_worker"), i.get("reason")) if x)
                for i in data.get("agencies") or []]
    fields = _fields([
        ("Review asked for", "Serious case review" if data.get("review_requested") == "scr" else "Multi-agency review"),
        ("Notified by", ", ".join(x for x in (notifier.get("name"), notifier.get("role"),
                                               notifier.get("organisation")) if x)),
        ("Date of notification", british(data.get("notification_date"))),
        ("Date of referral", british(data.get("referral_date"))),
        ("The child", f"{initials} (see the key below)" if initials else ""),
        ("Date of birth", british(child.get("date_of_birth"))),
        ("Gender", child.get("gender")), ("Ethnicity", child.get("ethnicity")), ("Religion", child.get("religion")),
        ("Date of death or serious incident", british(child.get("date_of_death") or child.get("date_of_incident"))),
        ("Where the child lives", LIVES_WITH.get(child.get("lives_with") or "", "")),
        ("School or setting", child.get("school")),
        ("Criteria the referrer ticked", "\n".join(CRITERIA.get(r, r) for r in data.get("reasons") or [])),
        ("Agencies involved", a("\n".join(agencies))),
        ("Linked cases", a(data.get("linked_cases"))),
        ("Authorised by", ", ".join(x for x in (auth.get("name"), auth.get("role"), british(auth.get("date"))) if x)),
    ])
    sections = _fields([
        ("Case outline", a(data.get("case_outline"))),
        ("Serious case review criteria", a(data.get("criteria_statement"))),
        ("Reason for requesting a review", a(data.get("review_request_reason"))),
        ("Particular considerations", a(data.get("considerations"))),
        ("Other relevant information", a(data.get("other_information"))),
    ])
    return {"fields": fields, "sections": sections}


def _return_fields(src: Source, key: FamilyKey, rows: list[int]) -> list[dict[str, str]]:
    d, a = src.data, key.anonymise
    if src.form_type == "chronology":
        shown = ranges(rows)
        where = f"row{'s' if len(rows) > 1 else ''} {shown}" if len(shown) <= 300 \
            else "throughout (filter the spreadsheet by agency)"
        return _fields([("Agency on the form", d.get("agency")),
                        ("Entries", f"{len(rows)}, in the integrated chronology {where}" if rows else "none")])
    by = d.get("completed_by") or {}
    return _fields([
        ("Completed by", ", ".join(x for x in (by.get("name"), by.get("role"), by.get("email"), by.get("phone")) if x)),
        ("Date completed", british(d.get("date_completed"))),
        ("Period of interest", a(d.get("period_of_interest"))),
        ("Child known to the service", _yes_no(d.get("known_to_service"))),
        ("Family members known", a(d.get("family_known"))),
        ("Nature of involvement", a(d.get("involvement"))),
        ("Concerns", a(d.get("concerns"))),
        ("Overview of the record", a(d.get("overview"))),
        ("Concerns not taken seriously enough", a(d.get("concerns_not_acted_on"))),
        ("Implications for other agencies", a(d.get("multi_agency_implications"))),
        ("Other agencies involved", a(d.get("other_agencies"))),
        ("Significant events", f"{len(rows)}: row{'s' if len(rows) > 1 else ''} {ranges(rows)} of the integrated "
                               "chronology" if rows else "none"),
    ])


def _agency_line(a: AgencyLine) -> dict[str, str]:
    return {"agency": clean(a.agency), "status": a.status, "requested": british(a.requested_on),
            "due": british(a.due_on), "answered": british(a.answered_on),
            "chases": "; ".join(a.chases) or ("none" if a.status == "missing" else ""),
            "documents": ", ".join(a.documents)}


def _review_context(inp: PackInput) -> dict[str, Any]:
    """Stage 2 on the cover: each request made for the review, and how many came back."""
    lines = [{"agency": clean(r.agency), "asked_for": r.asked_for, "status": r.status,
              "requested": british(r.requested_on), "due": british(r.due_on), "answered": british(r.answered_on),
              "chases": "; ".join(r.chases) or ("none" if r.status == "missing" else "")} for r in inp.review]
    count = lambda status: sum(1 for r in inp.review if r.status == status)  # noqa: E731
    return {"review": lines, "review_asked": len(lines), "review_returned": count("returned"),
            "review_nil": count("nil return"), "review_missing": count("missing")}


def changes_since(inp: PackInput, files: bool = True) -> list[str]:
    """What is new since the last pack (returns received, agencies that answered).

    ``files=False`` leaves out file names (an email body: agencies name files after the child).
    """
    if not inp.previous:
        return []
    last = inp.previous[-1]
    out = [f"{s.label if files else s.kind}, received {british(s.received.date() if s.received else None)}"
           for s in inp.sources if s.record_id not in last.record_ids]
    out += [f"{a.agency}: {a.status}" for a in inp.agencies
            if a.request_id in last.outstanding_ids and a.status != "missing" and
            not any(s.agency == a.agency and s.record_id not in last.record_ids for s in inp.sources)]
    return out


def pack_context(rt: BoardRuntime, inp: PackInput, key: FamilyKey, chron: Chronology,
                 sheet: list[SheetRow], reason: str) -> dict[str, Any]:
    cfg = rt.board.config
    lines = [_agency_line(a) for a in inp.agencies]
    count = lambda status: sum(1 for a in inp.agencies if a.status == status)  # noqa: E731
    previous = inp.previous[-1] if inp.previous else None
    local = inp.made_at.astimezone(rt.board.calendar.timezone) if inp.made_at.tzinfo else inp.made_at
    returns = [{"heading": f"{s.agency} – {'chronology' if s.form_type == 'chronology' else 'scoping return'}",
                "received": british(rt.board.calendar.today(s.received)) if s.received else "",
                "filename": clean(s.filename), "fields": _return_fields(s, key, chron.numbers_for(s.record_id))}
               for s in inp.sources]
    return {
        "board_name": cfg.name, "board_short": cfg.short_name, "case_reference": inp.case.reference,
        "made_on": f"{local:%d/%m/%Y %H:%M}", "version": inp.version, "updated": previous is not None,
        "previous_version": previous.version if previous else None,
        "previous_sent": british(previous.sent_on) if previous else "", "changes": changes_since(inp),
        "reason": reason, "subgroup_chair": cfg.subgroup_chair.name,
        "subgroup_role": cfg.subgroup_chair.role or "sub-group chair",
        "key_dates": [{"label": r.label, "due": british(r.due), "done": british(r.done), "status": r.status}
                      for r in sheet if r.when],
        "n_asked": sum(1 for a in inp.agencies if a.request_id), "n_returned": count("returned"),
        "n_not_known": count(STATUS_LABELS["not_known"]), "n_missing": count("missing"),
        "n_unasked": count("returned (not asked)"),
        "agencies": lines, "missing": [line for line in lines if line["status"] == "missing"],
        **_review_context(inp),
        "referral": referral_summary(inp.referral, key),
        "family": [{"initials": m.initials, "name": m.name, "relationship": m.relationship} for m in key.members],
        "returns": returns,
        "chron": {"dated": len(chron.dated), "undated": len(chron.undated), "sources": len(inp.sources),
                  "groups": len({r.group for r in chron.dated if r.group})},
    }

