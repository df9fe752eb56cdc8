"""The form-mapping schema: how one board's form maps onto the record contract.

A mapping is data an admin writes (``config/forms/<board>/<form>.yaml``);
the generic engine follows it.  Reading and checking the files is
``parsers.loading``'s (every problem listed, one line each).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldType = Literal["text", "date", "yes_no", "choice", "tick_list", "table", "choice_text",
                    "filled", "person_list", "date_text", "time", "lines"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Detail(_Strict):
    """Where the "please state" text of a ticked option goes."""

    field: str | None = None
    prefixes: list[str] = Field(default_factory=list)


class Column(_Strict):
    """One column of a repeating table (siblings, chronology entries…)."""

    labels: list[str] = Field(default_factory=list)
    type: Literal["text", "date", "time", "date_text"] = "text"
    #: For a date column: also store the cell as written under this key.
    text_to: str | None = None


class Condition(_Strict):
    field: str
    equals: Any


class FieldSpec(_Strict):
    """How one contract field is found and read."""

    labels: list[str] = Field(default_factory=list)
    type: FieldType = "text"
    section: str | None = None
    #: Where the answer sits relative to its label (``auto`` tries same
    #: cell/line, then the cell to the right, then the cell or lines below).
    answer: Literal["auto", "same", "right", "below"] = "auto"
    required: bool = False
    keep_filler: bool = False
    value: Any = None
    from_: str | None = Field(default=None, alias="from")
    extract: Literal["phone", "email"] | None = None
    join: list[str] = Field(default_factory=list)
    separator: str = " "
    #: choice / tick_list: code -> label wordings (a list means code = label).
    options: dict[str, list[str]] | list[str] = Field(default_factory=dict)
    detail: Detail | None = None
    #: tick_list of objects: the key that takes the option's label.
    item_key: str | None = None
    #: tick_list: options whose typed "please specify" text is the value.
    other: list[str] = Field(default_factory=list)
    columns: dict[str, Column] = Field(default_factory=dict)
    #: choice_text: code -> phrases meaning it, tried in order.
    choices: dict[str, list[str]] = Field(default_factory=dict)
    #: choice_text: phrases meaning "as the field named in ``agree_with``".
    agree: list[str] = Field(default_factory=list)
    agree_with: str | None = None
    of: list[str] = Field(default_factory=list)
    only_if: Condition | None = None
    #: person_list: the keys for each person's name and date.
    name_key: str = "name"
    date_key: str = "date_of_birth"
    items: list["ItemSpec"] = Field(default_factory=list)
    form_fields: list[str] = Field(default_factory=list)
    #: When nothing is found: the most common value of ``list.key`` (ties: first).
    most_common: str | None = None
    #: When nothing is found: this value (a ``set:`` value is kept the same way).
    default: Any = None
    #: When nothing is found: the first of these fields that has a value.
    fallback: list[str] = Field(default_factory=list)
    #: A block of questions asked once per agency ("Service 1", "Service 2"…).
    repeat: "Repeat | None" = None
    #: ``lines``: one entry per line, split at ``split`` into these keys in order
    #: (key -> text | date); whatever is left goes to the last key.
    parts: dict[str, Literal["text", "date"]] = Field(default_factory=dict)
    split: str = ","

    @model_validator(mode="after")
    def _needs(self) -> "FieldSpec":
        derived = (self.value is not None or self.from_ or self.join or self.of or self.items
                   or self.repeat)
        if self.type in ("choice", "tick_list") and not self.options:
            raise ValueError(f"a {self.type} field needs options")
        if self.type == "table" and not self.columns:
            raise ValueError("a table field needs columns")
        if self.type == "choice_text" and not self.choices:
            raise ValueError("a choice_text field needs choices")
        if self.type == "lines" and not self.parts:
            raise ValueError("a lines field needs parts (the keys each line splits into)")
        if self.type == "filled" and not self.of:
            raise ValueError("a filled field needs 'of' (the fields it looks at)")
        if not derived and not self.labels and not self.form_fields and self.type not in (
                "choice", "tick_list", "table"):
            raise ValueError("give labels, form_fields, value, from, join, of or items")
        return self

    def option_map(self) -> dict[str, list[str]]:
        if isinstance(self.options, list):
            return {label: [label] for label in self.options}
        return self.options


class ItemSpec(_Strict):
    """One fixed entry of a list field (e.g. the mother's and father's rows)."""

    set: dict[str, Any] = Field(default_factory=dict)
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    #: Leave the entry out when all of these read blank.
    skip_if_blank: list[str] = Field(default_factory=list)


class Repeat(_Strict):
    """A block of questions repeated under numbered headings, one list entry each.

    ``start`` phrases mark where each block begins; ``#`` (or a lone ``N``)
    stands for its number: ``["Service #", "Agency N"]``.  A block ends at
    the next block or section; a blank answer never reads into the next block.
    """

    start: list[str] = Field(min_length=1)
    set: dict[str, Any] = Field(default_factory=dict)
    fields: dict[str, FieldSpec] = Field(min_length=1)
    #: Leave a block out when all of these read blank (default: all its fields).
    skip_if_blank: list[str] = Field(default_factory=list)


FieldSpec.model_rebuild()


class Recognise(_Strict):
    """Title phrases: all of ``all`` and at least one of ``any`` must appear."""

    all: list[str] = Field(default_factory=list)
    any: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some(self) -> "Recognise":
        if not self.all and not self.any:
            raise ValueError("give at least one phrase under 'all' or 'any'")
        return self


class FormMapping(_Strict):
    """One form's mapping, as loaded from YAML."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9-]*$")
    form_type: Literal["referral", "scoping_return", "chronology", "decision"]
    title: str | None = None
    recognise: Recognise
    set: dict[str, Any] = Field(default_factory=dict)
    sections: dict[str, list[str]] = Field(default_factory=dict)
    #: Labels that end an answer but feed no field ("Signature", headings…).
    stop_labels: list[str] = Field(default_factory=list)
    filler: list[str] = Field(default_factory=list)
    #: Lines dropped from any answer ("(Please continue on a separate sheet…)").
    ignore_lines: list[str] = Field(default_factory=list)
    fields: dict[str, FieldSpec]
    #: The board's blank form (relative to this file): text printed on it is never an answer.
    blank_form: str | None = None
    source: str | None = Field(default=None, exclude=True)

    @property
    def board(self) -> str:
        return self.id.split("/", 1)[0]
