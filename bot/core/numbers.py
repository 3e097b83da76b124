"""Reading a whole number out of text a person typed or a Slack payload carried back.

`str.isdigit()` followed by `int()` is not safe: "²" and "①" are digits to `isdigit` but
`int()` refuses them, and a 20-digit id overflows SQLite's 64-bit integers when it is
queried. Every id in a button value, action id or block id, and every count typed into a
command or a modal, is read here, so odd input is "not a number" and never a traceback.
"""

from __future__ import annotations

MAX_STORED_INTEGER = 2**63 - 1  # the largest integer SQLite and PostgreSQL's bigint hold


def whole_number(text: object) -> int | None:
    """A non-negative whole number written in ASCII digits (surrounding spaces allowed),
    or an int already; None for anything else, including numbers no database can hold."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        value = text
    elif isinstance(text, str) and (stripped := text.strip()).isascii() and stripped.isdigit():
        value = int(stripped)
    else:
        return None
    return value if 0 <= value <= MAX_STORED_INTEGER else None
