"""Fault injection: the real bot and CLI against a misbehaving model endpoint and news site."""

from tests.faults.harness import botapi, ptb_timedelta, start_bot

__all__ = ["botapi", "ptb_timedelta", "start_bot"]
