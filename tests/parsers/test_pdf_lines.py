"""Lines of a narrow PDF cell rejoined: where a word was broken, where a space was lost."""

from __future__ import annotations

from parsers.pdf_lines import Line, Vocabulary, join

RIGHT = 133.0  # the cell's right edge less its padding; text starts at x = 90


def line(text: str, x1: float, top: float, spaced: bool = False) -> Line:
    first = text.split(" ")[0]
    return Line(text, 90.0, x1, top, top + 11.0, 6.0 * len(first), 11.0, spaced)


def test_a_line_that_kept_its_space_wrapped_between_words() -> None:
    lines = [line("agreed", 128.9, 0, spaced=True), line("with the", 118.0, 14.7)]
    assert join(lines, RIGHT, Vocabulary()) == ["agreed with the"]


def test_a_full_line_without_a_space_is_a_word_broken_or_a_space_lost() -> None:
    broken = [line("continu", 132.0, 0), line("ed weekly", 120.0, 14.7)]
    exact = [line("parents", 132.5, 0), line("and carers", 125.0, 14.7)]
    assert join(broken, RIGHT, Vocabulary()) == ["continued weekly"]
    assert join(exact, RIGHT, Vocabulary()) == ["parents and carers"]


def test_words_seen_whole_in_the_document_decide_an_unknown_pair() -> None:
    vocab = Vocabulary()
    vocab.learn(line("the Mockham road", 130.0, 0, spaced=True))
    lines = [line("Mockham", 132.5, 0), line("road", 110.0, 14.7)]
    assert join(lines, RIGHT, vocab) == ["Mockham road"]
    assert join(lines, RIGHT, Vocabulary()) == ["Mockhamroad"]


def test_a_short_line_before_a_long_word_ends_its_paragraph() -> None:
    lines = [line("n/a", 107.0, 0), line("During the", 130.0, 14.7, spaced=True)]
    assert join(lines, RIGHT, Vocabulary()) == ["n/a", "During the"]


def test_a_date_in_a_narrow_column_keeps_its_space() -> None:
    lines = [line("January", 132.5, 0), line("2016", 115.0, 14.7)]
    assert join(lines, RIGHT, Vocabulary()) == ["January 2016"]


def test_a_capital_after_a_full_stop_is_a_new_word() -> None:
    vocab = Vocabulary()
    assert not vocab.glued("school.", "Concer")
    assert vocab.glued("continu", "ed")


def test_a_lower_case_piece_inside_a_capitalised_name_is_the_rest_of_its_word() -> None:
    lines = [line("Sample", 132.5, 0), line("ford Trust", 125.0, 14.7)]
    assert join(lines, RIGHT, Vocabulary()) == ["Sampleford Trust"]
    of = [line("Isle", 132.5, 0), line("of Wight", 125.0, 14.7)]
    assert join(of, RIGHT, Vocabulary()) == ["Isle of Wight"]


def test_a_line_first_word_is_learned_when_nothing_broken_can_stand_before_it() -> None:
    vocab = Vocabulary()
    vocab.learn(line("Sampleford Health Trust", 229.0, 0), line("From", 122.6, -25.0))
    assert vocab.known("Sampleford")
    after_head = Vocabulary()  # "Sample" filled its line: "ford" may be its broken tail
    after_head.learn(line("ford Health Trust", 133.0, 14.7), line("Sample", 133.0, 0))
    assert after_head.words == {"health"}
