"""Making a case's scoping pack: the Word pack, the spreadsheet and the front sheet.

``build_pack`` reads the case once (:func:`mailbot.pack.collect.collect`) and
makes every file from that snapshot. It writes nothing: storing, emailing and
auditing are :mod:`mailbot.pack.send`'s job, so a failure here leaves the
caller's transaction untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from mailbot.outbound.compose import OutgoingAttachment
from mailbot.pack.chronology import Chronology, integrate
from mailbot.pack.collect import PackInput, PackSent, collect
from mailbot.pack.family import FamilyKey, family_key
from mailbot.pack.frontsheet import SheetRow, sheet_context, sheet_rows
from mailbot.pack.render import DOCX, render_front_sheet, render_pack
from mailbot.pack.review import report_files
from mailbot.pack.sections import pack_context
from mailbot.pack.sheet import XLSX, render_sheet
from mailbot.runtime import BoardRuntime
from mailbot.store.models import Case


@dataclass
class Built:
    input: PackInput
    key: FamilyKey
    chronology: Chronology
    sheet: list[SheetRow]
    files: list[OutgoingAttachment] = field(default_factory=list)
    #: Stage-2 reports not attached, and why (named in the pack's email).
    reports_kept: list[str] = field(default_factory=list)

    @property
    def child(self) -> str | None:
        members = self.key.members
        return members[0].initials if members and members[0].relationship == "the child" else None


def child_names(inp: PackInput) -> list[str]:
    return [n for n in ((s.data.get("child") or {}).get("full_name") for s in inp.sources) if n]


def front_sheet_for(s: Session, rt: BoardRuntime, case: Case) -> tuple[bytes, list[SheetRow], str | None]:
    """The front sheet as it stands (``mailbot case --front-sheet``)."""
    inp = collect(s, rt, case)
    key = family_key(inp.referral, child_names(inp))
    rows = sheet_rows(s, rt, case, inp.previous)
    child = key.members[0].initials if key.members and key.members[0].relationship == "the child" else None
    return render_front_sheet(rt, sheet_context(rt, case, rows, child)), rows, child


def _about(rt: BoardRuntime, inp: PackInput, chron: Chronology) -> list[tuple[str, str]]:
    return [
        ("Case", inp.case.reference), ("Board", rt.board.config.name), ("Pack version", str(inp.version)),
        ("Made on", f"{inp.today:%d/%m/%Y}"),
        ("Rows", f"{len(chron.dated)} dated, {len(chron.undated)} undated (listed last, never dropped)"),
        ("Sorted as", ("The date the row sorts on: an approximate date sorts at the start of its period "
                       "('June 2014 approx' on 01/06/2014). Empty for undated rows.")),
        ("Date as written", "The date cell as the agency wrote it."),
        ("Precision", "day, month, season, part (of a year), year, or undated."),
        ("Subject, Text, Family present", "Family members appear by the initials the pack's key gives them."),
        ("Possibly the same event as", ("Row numbers of other agencies' rows that look like the same event: "
                                        "marked, never merged. Rows marked together share a same-event group.")),
    ]


def _anonymised_files(inp: PackInput, key: FamilyKey) -> None:
    """Agencies name files after the child: the pack shows file names with initials too."""
    for i, src in enumerate(inp.sources):
        if src.filename:
            shown = key.anonymise(src.filename.replace("_", " "))
            if shown != src.filename.replace("_", " "):
                inp.sources[i] = replace(src, filename=shown)


def build_pack(s: Session, rt: BoardRuntime, case: Case, reason: str, inp: PackInput | None = None) -> Built:
    """Every file of the pack as the case stands now (nothing is written)."""
    inp = inp or collect(s, rt, case)
    key = family_key(inp.referral, child_names(inp))
    _anonymised_files(inp, key)
    chron = integrate(inp.sources, key, inp.today)
    now = PackSent(inp.version, inp.today, frozenset(inp.record_ids), frozenset(inp.outstanding_ids))
    rows = sheet_rows(s, rt, case, [*inp.previous, now])
    built = Built(inp, key, chron, rows)
    ref, v = case.reference, inp.version
    reports, built.reports_kept = report_files(s, rt, case, inp.reports)
    context = pack_context(rt, inp, key, chron, rows, reason)
    context.update(reports=[f.filename for f in reports], reports_kept=built.reports_kept)
    docx = render_pack(rt, context, chron)
    xlsx = render_sheet(chron, _about(rt, inp, chron))
    front = render_front_sheet(rt, sheet_context(rt, case, rows, built.child))
    built.files = [OutgoingAttachment(f"{ref} scoping pack v{v}.docx", docx, DOCX),
                   OutgoingAttachment(f"{ref} integrated chronology v{v}.xlsx", xlsx, XLSX),
                   OutgoingAttachment(f"{ref} case front sheet.docx", front, DOCX), *reports]
    return built
