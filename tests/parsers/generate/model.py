"""The questions a form asks, read from its mapping.

The generator lays out and fills whatever a mapping can read: for every
field that is read from the document (not derived), the question as
printed (the mapping's first wording), its section and its kind.  Laying
the same questions out in other ways and filling them in other styles is
then independent of any one board's form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parsers.mapping import FieldSpec, FormMapping
from parsers.values import normalise_label

#: Field kinds the generator does not fill: decisions are written by the
#: board, not the agency, and their free-text wording is another test's.
SKIPPED_PREFIXES = ("decision.",)


@dataclass
class Question:
    """One printed question: where its value goes and how it is asked."""

    path: str  # record path; items use "parents[0].name"
    label: str
    kind: str  # text | date | yes_no | person_list | choice | tick_list | table
    spec: FieldSpec
    section: str | None = None
    #: For an item's field: (list path, item index, key, item ``set``).
    item: tuple[str, int, str, dict[str, Any]] | None = None


@dataclass
class Section:
    name: str | None
    heading: str | None
    questions: list[Question] = field(default_factory=list)


def _read_from_document(spec: FieldSpec) -> bool:
    return not (spec.value is not None or spec.from_ or spec.join or spec.of
                or spec.type in ("choice_text", "filled")) and bool(
        spec.labels or spec.options or spec.columns or spec.items)


def questions(mapping: FormMapping) -> list[Section]:
    """The mapping's questions grouped by section, in the mapping's order.

    A field without a section sits in the section of the field before it
    (or a first, unheaded block): sections only bound where a label is
    looked for, so any placement inside the right span is a fair layout.
    """
    sections: dict[str | None, Section] = {None: Section(None, None)}
    current: str | None = None
    for path, spec in mapping.fields.items():
        if path.startswith(SKIPPED_PREFIXES) or not _read_from_document(spec):
            continue
        name = spec.section or current
        if spec.section:
            current = spec.section
        if name not in sections:
            sections[name] = Section(name, mapping.sections[name][0])
        target = sections[name]
        if spec.items:
            for n, item in enumerate(spec.items):
                for key, sub in item.fields.items():
                    target.questions.append(Question(
                        f"{path}[{n}].{key}", sub.labels[0], sub.type, sub, name,
                        item=(path, n, key, dict(item.set))))
            continue
        label = spec.labels[0] if spec.labels else ""
        target.questions.append(Question(path, label, spec.type, spec, name))
    return [s for s in sections.values() if s.questions]


def title_lines(mapping: FormMapping) -> list[str]:
    """Printed lines that make the mapping recognise the form.

    An ``any`` phrase that is a section heading or a question is printed
    there already; printing it again in the title would move the section.
    """
    printed = {normalise_label(s.heading or "") for s in questions(mapping)}
    printed |= {normalise_label(q.label) for s in questions(mapping) for q in s.questions}
    extra = [p for p in mapping.recognise.any if normalise_label(p) not in printed]
    if mapping.recognise.any and not any(normalise_label(p) in printed
                                         for p in mapping.recognise.any):
        extra = extra[:1]
    else:
        extra = []
    return list(mapping.recognise.all) + extra
