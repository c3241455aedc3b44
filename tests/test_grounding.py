"""Numbered sentences, cited points, and reading whatever shape a model's reply has."""

from __future__ import annotations

import pytest

from bot.summarize.grounding import (
    GroundedPoint,
    InvalidReply,
    Numbered,
    clean_points,
    fragment_reason,
    parse_reply,
)


@pytest.mark.parametrize(
    ("content", "points"),
    [
        ('{"points": [{"text": "Kim left.", "sentences": [2, 3]}]}', [("Kim left.", (2, 3))]),
        ('{"points": ["Kim left. [4]", "Putin stayed [5, 6]"]}',
         [("Kim left.", (4,)), ("Putin stayed.", (5, 6))]),
        ('["a b c d", "e f g h"]', [("a b c d", ()), ("e f g h", ())]),
        ('Sure! {"points": [{"point": "x y", "sources": "7"}]} Hope it helps.', [("x y", (7,))]),
        ('```\n{"points": ["a"]}\n```', [("a", ())]),
        ('<think>hmm, "points"</think>{"points": ["a"]}', [("a", ())]),
        ("1. Kim left. [1]\n2) Putin stayed. (sentences 2 and 3)\nnoise\n- Troops hold. [S4]",
         [("Kim left.", (1,)), ("Putin stayed.", (2, 3)), ("Troops hold.", (4,))]),
    ],
)  # fmt: skip
def test_parse_reply(content: str, points: list[tuple[str, tuple[int, ...]]]) -> None:
    assert [(p.text, p.cites) for p in parse_reply(content)] == points


@pytest.mark.parametrize("content", ["", "I can't help with that.", '{"summary": "x"}', "{}"])
def test_parse_reply_rejects_replies_without_points(content: str) -> None:
    with pytest.raises(InvalidReply):
        parse_reply(content)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("The bank lent to several institutions, including ", "cut off"),
        ("Lehman Brothers", "under 4 words"),
        ('He said "we will fight on and on.', "unbalanced quotes"),
        ("Він сказав «ми переможемо і далі.", "unbalanced quotes"),
        ("The strongest storm of the decade in the north", "no verb"),
        ("Kim embraced the returning commanders.", None),
        ("Кім обійняв кожного з командирів особисто.", None),
        ("金正恩召回了在俄罗斯作战的将军们。", None),
    ],
)
def test_fragment_reason(text: str, why: str | None) -> None:
    assert fragment_reason(text, english=True) == why


def test_clean_points_splits_long_points_and_drops_repeats() -> None:
    long = (
        "The council approved the budget for the next year after a long debate on Monday. "
        "It will spend most of the new money on schools, clinics and roads in the north."
        " Critics called it reckless."
    )
    points = [
        GroundedPoint(long, (1,)),
        GroundedPoint("The council approved the budget for next year after a long debate.", (1,)),
        GroundedPoint(" ".join(["word"] * 40) + " is here.", (2,)),
        GroundedPoint("Three people were hurt in the crash on Monday.", (3,)),
        GroundedPoint("Five people were hurt in the crash on Monday.", (3,)),
    ]
    cleaned = clean_points(points, english=True)
    assert [p.text for p in cleaned.kept] == [
        "The council approved the budget for the next year after a long debate on Monday.",
        "It will spend most of the new money on schools, clinics and roads in the north.",
        "Critics called it reckless.",
        "Three people were hurt in the crash on Monday.",
        "Five people were hurt in the crash on Monday.",
    ]
    assert [why for _, why in cleaned.rejected] == ["repeats another point", "over 30 words"]


def test_numbering_windows_and_several_sources() -> None:
    one = Numbered.from_text("Kim left Moscow. He flew home. Putin stayed.", title="T")
    assert one.lines() == ["[1] Kim left Moscow.", "[2] He flew home.", "[3] Putin stayed."]
    assert one.window([2]) == "Kim left Moscow. He flew home."
    assert one.valid([3, 3, 9, 1]) == (3, 1)
    assert one.best_match("Putin stayed in Moscow") in ((1, 3), (3, 1))
    # A digest numbers several articles in one sequence; a window never crosses sources.
    two = Numbered.join([one, Numbered.from_text("Biden spoke. He left.")])
    assert [(s.number, s.source) for s in two.sentences][-2:] == [(4, 1), (5, 1)]
    assert two.window([4]) == "Biden spoke."
