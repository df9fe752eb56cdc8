"""Family members by the initials the case uses; professionals' names kept."""

from __future__ import annotations

import json

from mailbot.pack.family import family_key, people_in
from tests.conftest import SAMPLES


def referral(name: str) -> dict:
    return json.loads((SAMPLES / "forms" / "west-sussex" / "referral" / f"{name}.docx.expected.json").read_text())


def test_the_key_comes_from_the_referral_child_parents_siblings_and_adults():
    key = family_key(referral("referral-01"))
    assert [(m.initials, m.name, m.relationship) for m in key.members] == [
        ("EN", "Ethan Newbold", "the child"), ("PN", "Poppy Newbold", "mother"),
        ("SM", "Shannon Marchant", "sibling"), ("NW", "Neil Whitcombe", "mother's partner"),
        ("NN", "Natalie Newbold", "maternal grandmother")]


def test_shared_initials_take_more_letters_of_the_first_name():
    key = family_key(referral("referral-02"))  # Arjun (father) and Aaron (sibling) Jessop are both "AJ"
    codes = {m.name: m.initials for m in key.members}
    assert codes["Arjun Jessop"] == "ArJ" and codes["Aaron Jessop"] == "AaJ" and codes["Olivia Jessop"] == "OJ"
    assert len(set(codes.values())) == len(codes)


def test_names_are_replaced_in_any_form_but_professionals_keep_theirs():
    key = family_key(referral("referral-01"))
    text = ("Ethan's mother Poppy Newbold (NEWBOLD, Poppy) called; Neil Whitcombe present. Seen by Dr Poppy "
            "Carstairs and by Poppy Ashdown, health visitor. Ethan seen alone. Rosie Newbold, social worker.")
    assert key.anonymise(text) == (
        "EN's mother PN (PN) called; NW present. Seen by Dr Poppy Carstairs and by Poppy Ashdown, health "
        "visitor. EN seen alone. Rosie Newbold, social worker.")


def test_a_first_name_two_members_share_or_a_month_name_is_left_alone():
    data = {"child": {"full_name": "May Turner"}, "siblings": [{"name": "Jack Turner"}, {"name": "Jack Oduya"}]}
    key = family_key(data)
    assert key.anonymise("In May 2024 Jack and May Turner visited.") == "In May 2024 Jack and MT visited."


def test_other_names_and_returns_names_of_the_child_count_too():
    key = family_key({"child": {"full_name": "Chloe Brightwell", "other_names": "Chly"}}, ["Chloe Bright-Well"])
    assert key.anonymise("Chly and Chloe Bright-Well") == "CB and CB"


def test_significant_adults_are_read_from_free_text():
    assert people_in("Neil Whitcombe – mother's partner (not the father).\nNatalie Newbold - grandmother; "
                     "a neighbour", "adult") == [("Neil Whitcombe", "mother's partner"),
                                                 ("Natalie Newbold", "grandmother")]
    assert family_key(None).anonymise("Nothing to replace") == "Nothing to replace"
