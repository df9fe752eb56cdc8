"""The schema of a regime's ``stage2`` part: what the review asks for after the decision.

Which returns a regime asks agencies for once the decision's notifications
have gone (Swindon's timescale guide: chronologies by the end of week 9,
management reports by week 11), from whom, dated by which milestone; the
words a business manager may write after ``DONE``; the event publication
is dated by and the milestone the report to the Panel meets; and the new
deadline for a decision the Panel has challenged. Data, not code: a board
or a regime that differs changes this, never the workflow.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mailbot.deadlines.rules import Decision, Offset, Slug, StrictModel


class ReturnRule(StrictModel):
    """One return each involved agency is asked for."""

    id: Slug
    #: What the emails call it ("chronology", "agency management report (IMR)").
    label: str = Field(min_length=1)
    #: The regime milestone whose date is the due date.
    milestone: Slug
    #: A form of this type is the return; None: any document on the thread is (stored as received).
    form_type: str | None = None


class RequestRules(StrictModel):
    #: For each decision that asks for returns, the notification whose sending starts the requests.
    after: dict[Decision, str] = Field(min_length=1)
    #: ``involved``: agencies that returned a scoping return or have not answered (not those that
    #: said the child is not known); ``asked``: every agency asked at scoping.
    agencies: Literal["involved", "asked"] = "involved"
    #: A due date sooner than this after the request (a late decision) is moved out to it.
    at_least: Offset = Offset(amount=10, unit="working_days")
    returns: list[ReturnRule] = Field(min_length=1)


class Publication(StrictModel):
    #: The event the planned publication date is recorded as.
    event: Slug = "publication"
    #: The milestone the report-to-Panel notification meets (dated from the event).
    milestone: Slug = "report_to_panel"


class Challenge(StrictModel):
    #: The event a Panel's challenge is recorded as.
    event: Slug = "panel_challenge"
    #: The new deadline for the decision, counted from the challenge.
    decide_within: Offset = Offset(amount=10, unit="working_days")
    #: After this long without the Panel's answer to a no-review notification, the business
    #: managers are told (once); ``null`` never tells them.
    answer_awaited: Offset | None = Offset(amount=20, unit="working_days")


class Stage2(StrictModel):
    requests: RequestRules | None = None
    #: Words a business manager may write after ``DONE <ref>``, and the milestone or event each means
    #: (ids and labels are understood without being listed).
    commands: dict[str, Slug] = Field(default_factory=dict)
    publication: Publication = Publication()
    challenge: Challenge = Challenge()


def stage2_problems(stage2: Stage2 | None, names: set[str], milestones: set[str]) -> list[tuple[str, str]]:
    """Names in ``stage2`` that point at no milestone or event of the regime."""
    if stage2 is None:
        return []
    problems = []
    for i, rule in enumerate(stage2.requests.returns if stage2.requests else []):
        if rule.milestone not in milestones:
            problems.append((f"stage2.requests.returns[{i}].milestone", f"{rule.milestone!r} is not a milestone"))
    for word, target in stage2.commands.items():
        if target not in names:
            problems.append((f"stage2.commands.{word}", f"{target!r} is not an event or milestone"))
    return problems
