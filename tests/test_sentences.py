"""The sentence splitter on the cases that break naive regexes."""

from __future__ import annotations

import pytest

from bot.summarize.sentences import split_sentences

CASES = [
    pytest.param(
        "Mr. Smith met Dr. Jones on Jan. 5 at 3 p.m. in St. Louis. They talked.",
        ["Mr. Smith met Dr. Jones on Jan. 5 at 3 p.m. in St. Louis.", "They talked."],
        id="titles-months-times",
    ),
    pytest.param(
        "J. K. Rowling and George W. Bush met. It went well.",
        ["J. K. Rowling and George W. Bush met.", "It went well."],
        id="initials",
    ),
    pytest.param(
        "The U.S. Army said so. She moved to the U.S. The move was quick.",
        ["The U.S. Army said so.", "She moved to the U.S.", "The move was quick."],
        id="acronym-mid-and-end",
    ),
    pytest.param(
        "Prices rose 3.5 per cent, e.g. bread. Rents fell by 1.25%.",
        ["Prices rose 3.5 per cent, e.g. bread.", "Rents fell by 1.25%."],
        id="decimals-eg",
    ),
    pytest.param(
        'He said: "We are ready. We will pay on April 9." Markets rallied.',
        ['He said: "We are ready. We will pay on April 9."', "Markets rallied."],
        id="quotation-kept-whole",
    ),
    pytest.param(
        '"Why now?" he asked. Nobody answered!',
        ['"Why now?" he asked.', "Nobody answered!"],
        id="question-inside-quote",
    ),
    pytest.param(
        "They waited... Then the doors opened. The wait was over…",
        ["They waited...", "Then the doors opened.", "The wait was over…"],
        id="ellipsis",
    ),
    pytest.param(
        "Blues legend B.B. King was hospitalized. (CNN)He is better.",
        ["Blues legend B.B. King was hospitalized.", "(CNN)He is better."],
        id="dotted-name",
    ),
    pytest.param(
        "Das gilt z. B. für Berlin. Am 3. Oktober feiert man. Dr. Weber kam.",
        ["Das gilt z. B. für Berlin.", "Am 3. Oktober feiert man.", "Dr. Weber kam."],
        id="german",
    ),
    pytest.param(
        "Він живе на вул. Хрещатик у м. Київ. Вона погодилась, і т.д. Війна триває.",
        ["Він живе на вул. Хрещатик у м. Київ.", "Вона погодилась, і т.д.", "Війна триває."],
        id="ukrainian",
    ),
    pytest.param(
        "北京今天下雨。明天会晴天！你去吗？好的",
        ["北京今天下雨。", "明天会晴天！", "你去吗？", "好的"],
        id="cjk-enders",
    ),
    pytest.param(
        "Apple Inc. said sales grew. Its rival is Acme Ltd. The company denied it etc. Fine.",
        [
            "Apple Inc. said sales grew.",
            "Its rival is Acme Ltd.",
            "The company denied it etc.",
            "Fine.",
        ],
        id="company-suffix",
    ),
    pytest.param(
        "A heading without a full stop\nFirst paragraph here. Second one.\n\n• A bulleted point.",
        [
            "A heading without a full stop",
            "First paragraph here.",
            "Second one.",
            "A bulleted point.",
        ],
        id="lines-and-bullets",
    ),
    pytest.param(
        "This line was hard\nwrapped by an editor. Next one.",
        ["This line was hard wrapped by an editor.", "Next one."],
        id="hard-wrap",
    ),
    pytest.param(
        "1. Buy milk today.\n2. Sell the car.",
        ["1. Buy milk today.", "2. Sell the car."],
        id="numbered-list",
    ),
    pytest.param(
        "He was born in 1990. The war began.",
        ["He was born in 1990.", "The war began."],
        id="year-ends-sentence",
    ),
    pytest.param("", [], id="empty"),
    pytest.param("   \n\n  ", [], id="blank"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_sentences_are_verbatim_spans() -> None:
    text = "First  one,\twith odd   spacing. Second one!\nThird?"
    normalised = " ".join(text.split())
    for sentence in split_sentences(text):
        assert sentence in normalised


def test_huge_inputs_come_back() -> None:
    # Pathological shapes: no punctuation at all, thousands of tiny lines, endless list.
    assert split_sentences("word " * 40_000) == [("word " * 40_000).strip()]
    assert len(split_sentences("Item.\n" * 20_000)) == 20_000
    assert len(split_sentences("It rained. " * 50_000)) == 50_000
