"""The wordings a draft mapping matches printed lines against.

Two sources, neither naming a board in code: the labels every shipped
mapping already uses for a contract field (read from the mappings the
caller loads), and the plain words of the record contract below, which a
form of any board is likely to print.
"""

from __future__ import annotations

from parsers.mapping import FormMapping
from parsers.values import normalise

#: The contract's own words for its fields (records.md), by form type.
CONTRACT_WORDS: dict[str, dict[str, list[str]]] = {
    "referral": {
        "notifier.name": ["Your name", "Name of person referring", "Referrer's name"],
        "notifier.role": ["Your role", "Job title", "Role"],
        "notifier.organisation": ["Organisation", "Agency", "Your organisation"],
        "notifier.email": ["Email", "E-mail address", "Your email"],
        "notifier.phone": ["Telephone", "Phone number", "Tel"],
        "notification_date": ["Date of notification", "Date of referral", "Date submitted"],
        "child.full_name": ["Child's full name", "Full name of child", "Name of child"],
        "child.first_name": ["First name", "Forename"],
        "child.surname": ["Surname", "Family name", "Last name"],
        "child.date_of_birth": ["Child's date of birth", "Date of birth", "DOB"],
        "child.date_of_death": ["Date of death"],
        "child.date_of_incident": ["Date of incident", "Date of serious incident"],
        "child.gender": ["Gender", "Sex"],
        "child.ethnicity": ["Ethnicity", "Ethnic origin"],
        "child.religion": ["Religion", "Faith"],
        "child.address": ["Child's home address", "Home address", "Address"],
        "child.school": ["School", "Educational establishment", "School or nursery"],
        "child.lives_with": ["Where does the child live", "Who does the child live with"],
        "siblings": ["Siblings", "Brothers and sisters"],
        "reasons": ["Reason for referral", "Why is a review needed", "Reasons"],
        "case_outline": ["Case outline", "What happened", "Summary of the circumstances"],
        "agencies": ["Agencies involved", "Services involved", "Other agency involvement"],
    },
    "scoping_return": {
        "agency": ["Agency", "Name of agency", "Service"],
        "completed_by.name": ["Name of person completing", "Completed by", "Your name"],
        "completed_by.email": ["Email"], "completed_by.phone": ["Telephone", "Tel"],
        "child.full_name": ["Child's name", "Name of child"],
        "child.date_of_birth": ["Date of birth", "DOB"],
        "known_to_service": ["Is this child known to your service"],
        "involvement": ["Nature of your involvement"], "concerns": ["Concerns"],
    },
    "chronology": {"agency": ["From", "Agency"]},
    #: The keys of one agency in a repeated block.
    "agencies": {
        "agency": ["Agency", "Service name", "Name of agency", "Organisation", "Service"],
        "key_worker": ["Key worker", "Worker", "Name and role of key worker", "Lead professional"],
        "contact": ["Contact details", "Contact"],
        "reason": ["Reason for involvement", "Involvement", "Why involved"],
    },
}
#: The contract's words for the columns of its repeating tables.
COLUMN_WORDS: dict[str, dict[str, dict[str, list[str]]]] = {
    "referral": {
        "siblings": {"name": ["Name", "Name of sibling", "Brother or sister", "Sibling"],
                     "date_of_birth": ["Date of birth", "DOB", "Born"], "gender": ["Gender"],
                     "address": ["Address"]},
        "agencies": CONTRACT_WORDS["agencies"],
    },
    "scoping_return": {"significant_events": {"date": ["Date"], "event": ["Event"]}},
    "chronology": {"entries": {"date": ["Date"], "time": ["Time"], "agency": ["Agency"],
                               "text": ["Text", "Details"], "subject": ["Subject"]}},
}
_STOP = {"the", "a", "an", "of", "to", "your", "is", "this", "and", "or", "s", "please",
         "if", "any", "in", "for", "on", "by", "with"}


def _words(text: str) -> set[str]:
    return {w for w in normalise(text).split() if w not in _STOP} or set(normalise(text).split())


def score(line_norm: str, wording: str) -> float:
    """How well a printed line matches a wording: shared words, favouring a match at the start."""
    a, b = _words(line_norm), _words(wording)
    if not a or not b:
        return 0.0
    value = len(a & b) / len(a | b)
    if line_norm.startswith(normalise(wording)):
        value = max(value, 0.6 + 0.4 * len(b) / max(len(a), 1))
    return value


def field_wordings(form_type: str, known: list[FormMapping]) -> dict[str, list[str]]:
    """Contract path -> wordings, from the contract words and the shipped mappings' labels."""
    out = {path: list(words) for path, words in CONTRACT_WORDS.get(form_type, {}).items()}
    for mapping in known:
        if mapping.form_type != form_type:
            continue
        for path, spec in mapping.fields.items():
            if path.startswith("_") or path.startswith("decision.") or not spec.labels:
                continue
            out.setdefault(path, [])
            out[path] += [w for w in spec.labels if w not in out[path]]
    return out


def option_wordings(form_type: str, known: list[FormMapping]) -> dict[str, dict[str, list[str]]]:
    """Tick-group path -> code -> wordings (the code's own words first)."""
    out: dict[str, dict[str, list[str]]] = {}
    for mapping in known:
        if mapping.form_type != form_type:
            continue
        for path, spec in mapping.fields.items():
            if spec.type in ("choice", "tick_list") and isinstance(spec.options, dict):
                codes = out.setdefault(path, {})
                for code, labels in spec.options.items():
                    codes.setdefault(code, [code.replace("_", " ")])
                    codes[code] += labels
    return out


def column_wordings(form_type: str, known: list[FormMapping]) -> dict[str, dict[str, list[str]]]:
    """Table path -> column key -> wordings (the contract's, then the shipped mappings')."""
    out = {path: {k: list(v) for k, v in cols.items()}
           for path, cols in COLUMN_WORDS.get(form_type, {}).items()}
    for mapping in known:
        if mapping.form_type != form_type:
            continue
        for path, spec in mapping.fields.items():
            for key, column in spec.columns.items():
                words = out.setdefault(path, {}).setdefault(key, [])
                words += [w for w in column.labels if w not in words]
    return out
