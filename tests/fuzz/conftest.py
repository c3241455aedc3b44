"""Bad input: hypothesis over the pure layers, and a smaller run through the real bot."""

from tests.faults.harness import botapi, ptb_timedelta, start_bot

__all__ = ["botapi", "ptb_timedelta", "start_bot"]
