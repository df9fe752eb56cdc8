"""Page breaks in a PDF's tables, settled by the words: a row goes on, or a table ends.

The PDF reader marks where a page break fell in a table (``Seam``) with the
text the row above would have if the row below went on; ``mend`` decides
with the mapping's wordings (printed text is a question, never the rest of
an answer).
"""

from __future__ import annotations

from parsers.document import Cell, Document, Paragraph, Seam, Table
from parsers.seams import mend
from tests.parsers.helpers import board_mappings

MAPPING = next(m for m in board_mappings("bathnes") if m.id == "bathnes/agency-case-information")


def table(rows: list[list[str]], seam: int, joined: list[str] | None) -> Table:
    return Table([[Cell(t) for t in row] for row in rows], seams=[Seam(seam, joined)])


def texts(block: Table) -> list[list[str]]:
    return [[c.text for c in row] for row in block.rows]


def test_the_rest_of_an_answer_at_the_head_of_a_page_goes_on() -> None:
    t = table([["Role", "Lead"], ["Brief Overview of Case Record", "A plan was agreed."],
               ["", "The school raised concerns."]], 2,
              ["Brief Overview of Case Record", "A plan was agreed.\nThe school raised concerns."])
    doc = Document([t])
    assert mend(doc, MAPPING, None)
    assert texts(doc.blocks[0]) == [["Role", "Lead"], ["Brief Overview of Case Record",
                                                        "A plan was agreed.\nThe school raised concerns."]]


def test_a_printed_question_is_never_the_rest_of_the_row_above() -> None:
    t = table([["Role", "Lead"], ["Email", "Not known"]], 1, ["Role\nEmail", "Lead\nNot known"])
    doc = Document([t])
    mend(doc, MAPPING, None)
    assert texts(doc.blocks[0]) == [["Role", "Lead"], ["Email", "Not known"]]


def test_a_new_entry_fills_what_the_one_above_did() -> None:
    rows = [["Date", "Event"], ["12/09/2017", "The family moved."], ["18/10/2012", "A visit."]]
    doc = Document([table(rows, 2, ["12/09/2017\n18/10/2012", "The family moved.\nA visit."])])
    mend(doc, MAPPING, None)
    assert texts(doc.blocks[0]) == rows


def test_a_date_never_runs_on_over_a_page() -> None:
    rows = [["Date", "Event"], ["12/09/2017", "The family moved."], ["18/10/2012", ""]]
    doc = Document([table(rows, 2, ["12/09/2017\n18/10/2012", "The family moved."])])
    mend(doc, MAPPING, None)
    assert texts(doc.blocks[0]) == rows


def test_entries_end_where_the_next_question_begins() -> None:
    rows = [["Date", "Event"], ["12/09/2017", "The family moved."],
            ["Brief Overview of Case Record", "A plan was agreed."]]
    doc = Document([Paragraph("Child details"), table(rows, 2, None)])
    assert mend(doc, MAPPING, None)
    assert [texts(b) for b in doc.blocks[1:]] == [rows[:2], rows[2:]]
    assert [b.number for b in doc.blocks[1:]] == [1, 2]


def test_a_header_repeated_on_the_new_page_stays_in_its_table() -> None:
    rows = [["Date", "Event"], ["12/09/2017", "The family moved."], ["Date", "Event"]]
    doc = Document([table(rows, 2, None)])
    mend(doc, MAPPING, None)
    assert len(doc.blocks) == 1 and texts(doc.blocks[0]) == rows


def test_in_one_column_an_answer_under_its_question_goes_on() -> None:
    rows = [["Brief Overview of Case Record"], ["A plan was agreed."], ["The school raised."]]
    doc = Document([table(rows, 2, ["A plan was agreed.\nThe school raised."])])
    mend(doc, MAPPING, None)
    assert texts(doc.blocks[0]) == [rows[0], ["A plan was agreed.\nThe school raised."]]


def test_a_list_under_a_column_heading_is_left_as_entries() -> None:
    rows = [["Event"], ["The family moved."], ["A visit."]]
    doc = Document([table(rows, 2, ["The family moved.\nA visit."])])
    mend(doc, MAPPING, None)
    assert texts(doc.blocks[0]) == rows


def test_a_document_without_page_breaks_is_left_alone() -> None:
    doc = Document([Table([[Cell("Role"), Cell("Lead")]])])
    assert not mend(doc, MAPPING, None)
