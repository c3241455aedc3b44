from __future__ import annotations

import pytest

from bot.telegram.ratelimit import SlidingWindow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    window = SlidingWindow(2, 600, clock=clock)
    assert window.acquire("u") == 0
    clock.now += 100
    assert window.acquire("u") == 0
    clock.now += 50
    assert window.acquire("u") == pytest.approx(450)  # the first event leaves at t+600
    assert window.acquire("other") == 0


def test_the_window_slides_and_refusals_do_not_extend_it() -> None:
    clock = Clock()
    window = SlidingWindow(1, 60, clock=clock)
    assert window.acquire("u") == 0
    for _ in range(5):
        clock.now += 10
        assert window.acquire("u") > 0
    clock.now += 10  # 60 s after the only recorded event
    assert window.acquire("u") == 0


def test_rejects_a_meaningless_limit() -> None:
    with pytest.raises(ValueError):
        SlidingWindow(0, 10)


def test_a_released_event_is_given_back() -> None:
    clock = Clock()
    window = SlidingWindow(1, 60, clock=clock)
    assert window.acquire("u") == 0
    assert window.acquire("u") > 0
    window.release("u")  # the work it paid for was not done
    assert window.acquire("u") == 0
    window.release("nobody")  # nothing to give back: no error, no credit
    assert window.acquire("nobody") == 0 and window.acquire("nobody") > 0
