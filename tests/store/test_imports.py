"""What opening the store loads."""

from __future__ import annotations

import subprocess
import sys


def test_the_store_opens_without_loading_the_news_package() -> None:
    """`newsbot status` (and the image's HEALTHCHECK fallback) import the store on every
    run; bot.news, whose SentStory and FeedState the store returns, brings feed parsing and
    HTTP (about 0.8 s of start-up) that a status report never uses."""
    code = (
        "import sys, bot.status; "
        "print(sorted(m for m in ('bot.news', 'httpx', 'feedparser') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout
