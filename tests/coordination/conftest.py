"""Every coordination test runs in memory (one process) and on the machine's Redis (what
replicas share), each Redis test under a namespace of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from bot.coordination import Coordination
from tests.fakes.coordination import Make


@pytest.fixture(params=["memory", "redis"])
async def replicas(request: pytest.FixtureRequest) -> AsyncIterator[Make]:
    """Make `Coordination`s as replicas of one bot would have: with Redis they share state."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    namespace = f"newsbot-test:{uuid4().hex[:12]}"
    made: list[Coordination] = []

    def make() -> Coordination:
        made.append(Coordination(url, namespace=namespace))
        return made[-1]

    yield make
    for coordination in made:
        await coordination.aclose()
