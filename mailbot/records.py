"""The record contract (shared/spec/records.md) as pydantic models.

Every form the bot reads becomes one of these records. They are the source of
truth inside the code; ``record.model_dump(mode="json")`` gives the contract's
JSON exactly: every key present, ``null`` for a blank field, ``[]`` for an
empty list, dates as ISO ``YYYY-MM-DD``.

``warnings`` holds reasons a parser could not read a value or found a
required field missing. Warnings never carry a child's or family member's
personal data: they name fields, never values.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

ReviewKind = Literal["scr", "alternative_review", "no_review"]
ReasonCode = Literal[
    "meets_scr_criteria",
    "child_died",
    "child_seriously_harmed",
    "interagency_concerns",
    "learning_opportunity",
    "child_suicide",
    "child_perpetrator",
]
#: The contract's fixed order for ``reasons``, whatever order a form lists them.
REASON_ORDER: tuple[str, ...] = ReasonCode.__args__  # type: ignore[attr-defined]


class _Part(BaseModel):
    """A nested object of a record: every key present, ``None`` when blank."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class _Record(_Part):
    """Keys every record carries."""

    board: str
    form: str
    warnings: list[str] = Field(default_factory=list)


# --- 4. Decision -------------------------------------------------------------


class SubgroupDecision(_Part):
    meeting_date: dt.date | None = None
    attendees: str | None = None
    recommendation: ReviewKind | None = None
    review_type: str | None = None
    reasons: str | None = None


class ChairDecision(_Part):
    decision: ReviewKind | None = None
    reasons: str | None = None
    issues_for_terms_of_reference: str | None = None
    name: str | None = None
    date: dt.date | None = None


class Decision(_Record):
    form_type: Literal["decision"] = "decision"
    subgroup: SubgroupDecision = Field(default_factory=SubgroupDecision)
    chair: ChairDecision = Field(default_factory=ChairDecision)


# --- 1. Referral -------------------------------------------------------------


class Notifier(_Part):
    name: str | None = None
    role: str | None = None
    organisation: str | None = None
    on_behalf_of: Literal["agency", "partnership"] | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    contact_details: str | None = None


class ReferralChild(_Part):
    full_name: str | None = None
    first_name: str | None = None
    surname: str | None = None
    other_names: str | None = None
    date_of_birth: dt.date | None = None
    date_of_incident: dt.date | None = None
    date_of_death: dt.date | None = None
    gender: str | None = None
    ethnicity: str | None = None
    religion: str | None = None
    address: str | None = None
    previous_address: str | None = None
    lives_with: Literal["home", "local_authority_care", "relatives", "other"] | None = None
    school: str | None = None


class Parent(_Part):
    relationship: Literal["mother", "father", "parent_carer"]
    name: str | None = None
    date_of_birth: dt.date | None = None
    address: str | None = None


class Sibling(_Part):
    name: str | None = None
    date_of_birth: dt.date | None = None
    gender: str | None = None
    address: str | None = None


class AgencyInvolvement(_Part):
    agency: str | None = None
    key_worker: str | None = None
    contact: str | None = None
    reason: str | None = None


class Authorisation(_Part):
    name: str | None = None
    role: str | None = None
    date: dt.date | None = None
    contact: str | None = None


class Referral(_Record):
    form_type: Literal["referral"] = "referral"
    review_requested: Literal["scr", "multi_agency_review"] = "scr"
    notifier: Notifier = Field(default_factory=Notifier)
    notification_date: dt.date | None = None
    referral_date: dt.date | None = None
    child: ReferralChild = Field(default_factory=ReferralChild)
    parents: list[Parent] = Field(default_factory=list)
    significant_adults: str | None = None
    siblings: list[Sibling] = Field(default_factory=list)
    reasons: list[ReasonCode] = Field(default_factory=list)
    case_outline: str | None = None
    criteria_statement: str | None = None
    review_request_reason: str | None = None
    considerations: str | None = None
    other_information: str | None = None
    agencies: list[AgencyInvolvement] = Field(default_factory=list)
    linked_cases: str | None = None
    authorisation: Authorisation = Field(default_factory=Authorisation)
    decision: Decision | None = None


# --- 2. Scoping return -------------------------------------------------------


class CompletedBy(_Part):
    name: str | None = None
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


class ReturnChild(_Part):
    full_name: str | None = None
    date_of_birth: dt.date | None = None
    address: str | None = None


class SignificantEvent(_Part):
    date: dt.date | None = None
    date_text: str | None = None
    event: str | None = None


class ScopingReturn(_Record):
    form_type: Literal["scoping_return"] = "scoping_return"
    case_reference: str | None = None
    agency: str | None = None
    completed_by: CompletedBy = Field(default_factory=CompletedBy)
    date_completed: dt.date | None = None
    child: ReturnChild = Field(default_factory=ReturnChild)
    incident_date: dt.date | None = None
    period_of_interest: str | None = None
    known_to_service: bool | None = None
    family_known: str | None = None
    involvement: str | None = None
    concerns: str | None = None
    significant_events: list[SignificantEvent] = Field(default_factory=list)
    overview: str | None = None
    concerns_not_acted_on: str | None = None
    multi_agency_implications: str | None = None
    other_agencies: str | None = None


# --- 3. Chronology -----------------------------------------------------------


class ChronologyEntry(_Part):
    subject: str | None = None
    date: dt.date | None = None
    date_text: str | None = None
    #: ``HH:MM`` (24 h), ``"am"`` / ``"pm"`` when only that is known, else None.
    time: str | None = None
    agency: str | None = None
    contact_type: str | None = None
    text: str | None = None
    action_taken: str | None = None
    family_present: str | None = None


class Chronology(_Record):
    form_type: Literal["chronology"] = "chronology"
    agency: str | None = None
    case_reference: str | None = None
    entries: list[ChronologyEntry] = Field(default_factory=list)


AnyRecord = Annotated[
    Union[Referral, ScopingReturn, Chronology, Decision],
    Field(discriminator="form_type"),
]
RECORD_TYPES: dict[str, type[_Record]] = {
    "referral": Referral,
    "scoping_return": ScopingReturn,
    "chronology": Chronology,
    "decision": Decision,
}


def record_from_json(data: dict) -> Referral | ScopingReturn | Chronology | Decision:
    """Build the right record kind from contract JSON (``form_type`` picks it)."""
    cleaned = {k: v for k, v in data.items() if not k.startswith("_")}
    kind = cleaned.get("form_type")
    if kind not in RECORD_TYPES:
        raise ValueError(f"unknown form_type {kind!r}")
    return RECORD_TYPES[kind].model_validate(cleaned)  # type: ignore[return-value]
