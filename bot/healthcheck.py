"""The Docker HEALTHCHECK: `python -m bot.healthcheck` exits 0 when the bot is healthy.

With METRICS_PORT set, it asks the running bot's /healthz (503 → unhealthy); without it, it
falls back to `newsbot status` (the database answers).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get("METRICS_PORT", "").strip()
    if not port:
        from bot.cli import main as cli

        return cli(["status"])
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=8) as answer:
            return 0 if answer.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        sys.stderr.write(f"unhealthy: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
