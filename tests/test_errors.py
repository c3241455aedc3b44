"""The error tree drawn in bot/errors.py's docstring is the tree the classes form."""

from __future__ import annotations

import importlib
import re

import bot.errors
from bot.errors import NewsbotError

# Every module that defines a NewsbotError subclass (the docstring names them).
MODULES = ["bot.errors", "bot.preflight", "bot.telegram.app", "bot.news.source",
           "bot.summarize.chat", "bot.telegram.jobs", "bot.news.google"]


def drawn_tree() -> dict[str, str]:
    """name -> parent name, read from the box drawing in the docstring."""
    doc = bot.errors.__doc__ or ""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^( *)([│ ]*(?:[├└]── )?)([A-Z]\w+)\b", line)
        if not match or not ("──" in line or line.strip() == "NewsbotError"):
            continue
        depth = len(match.group(1)) + len(match.group(2))
        name = match.group(3)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def real_tree() -> dict[str, str]:
    parents: dict[str, str] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, NewsbotError)
                    and value is not NewsbotError and not value.__name__.startswith("_")
                    and value.__module__ == module_name):
                parents[value.__name__] = value.__bases__[0].__name__
    return parents


def test_the_drawn_error_tree_matches_the_classes() -> None:
    assert drawn_tree() == real_tree()
