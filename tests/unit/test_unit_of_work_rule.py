"""The caller owns the unit of work: nothing in the domain commits, rolls back, or opens a
unit of work of its own. Handlers, the tick and the CLI decide where a transaction ends;
a service that needs several (a saga that calls Slack between steps) is handed them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The process's edges: they are callers, and own their units of work.
EDGES = (
    "bot/cli.py", "bot/slack/app.py", "bot/slack/server.py", "bot/slack/web.py", "bot/__main__.py", "bot/demo/", "bot/sandbox/",
)
ENDS_A_TRANSACTION = frozenset({"commit", "rollback"})
OPENS_A_UNIT_OF_WORK = frozenset({"unit_of_work", "short_transactions"})


def _domain_modules() -> list[Path]:
    return sorted(
        path for path in (ROOT / "bot").rglob("*.py")
        if not path.relative_to(ROOT).as_posix().startswith(EDGES)
    )


def _offences(path: Path, *, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute)
            else node.func.id if isinstance(node.func, ast.Name)
            else None
        )
        ends = isinstance(node.func, ast.Attribute) and name in ENDS_A_TRANSACTION
        if ends or name in OPENS_A_UNIT_OF_WORK:
            found.append(f"{path.relative_to(root).as_posix()}:{node.lineno}: {name}(...)")
    return found


def test_the_scan_covers_the_services() -> None:
    scanned = {path.relative_to(ROOT).as_posix() for path in _domain_modules()}
    assert {"bot/pairs/channels.py", "bot/onboarding/service.py", "bot/rounds/imports.py"} <= scanned


def test_no_domain_module_commits_rolls_back_or_opens_its_own_unit_of_work() -> None:
    offences = [offence for path in _domain_modules() for offence in _offences(path)]
    assert offences == [], "the caller owns the unit of work:\n" + "\n".join(offences)


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(session, factory):\n"
        "    session.flush()\n"
        "    session.commit()\n"
        "    with unit_of_work(factory) as other:\n"
        "        other.rollback()\n",
        encoding="utf-8",
    )
    assert sorted(offence.split(": ")[1] for offence in _offences(sample, root=tmp_path)) == [
        "commit(...)", "rollback(...)", "unit_of_work(...)",
    ]
