"""The layers hold: the domain never reaches for Slack, and no two modules import each other.

The domain is every package under `bot/` except the Slack adapter (`bot/slack`), the fake
Slack (`bot/sandbox`) and the composition roots (`bot/cli.py`, `bot/demo`). Keeping Slack
out of it is what lets a Teams adapter, and erasure of personal data, come later without
touching the rules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "scheduling", "storage")
NOT_DOMAIN = ("bot/slack", "bot/sandbox", "bot/demo", "bot/cli.py", "bot/__main__.py")
FORBIDDEN_IN_DOMAIN = ("slack_bolt", "slack_sdk", "bot.slack", "bot.sandbox", "handlers", "scheduling")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _domain_files() -> list[Path]:
    files = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not any(relative == skip or relative.startswith(skip + "/") for skip in NOT_DOMAIN):
            files.append(path)
    return files


def _all_imports(path: Path) -> set[str]:
    """Every module the file imports, at any depth (a lazy import inside a function counts)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _top_level_imports(path: Path, known: set[str]) -> set[str]:
    """Project modules imported when the file is loaded: lazy and TYPE_CHECKING imports excluded."""
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names if alias.name in known)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    candidate = f"{node.module}.{alias.name}"
                    if candidate in known:
                        found.add(candidate)
                    elif node.module in known:
                        found.add(node.module)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def test_the_domain_is_found() -> None:
    names = {_module_name(path) for path in _domain_files()}
    assert {"bot.core.outbox", "bot.pairs.pauses", "bot.matching.review"} <= names
    assert not any(name.startswith("bot.slack") for name in names)


@pytest.mark.parametrize("path", _domain_files(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_domain_code_never_imports_slack_or_its_renderers(path: Path) -> None:
    imported = _all_imports(path)
    forbidden = {
        name for name in imported
        if any(name == prefix or name.startswith(prefix + ".") for prefix in FORBIDDEN_IN_DOMAIN)
    }
    assert not forbidden, f"{path.relative_to(ROOT)} imports {sorted(forbidden)}"


def test_no_import_cycles() -> None:
    files = {(_module_name(path)): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
             if "migrations" not in path.parts}
    known = set(files)
    graph = {name: _top_level_imports(path, known) - {name} for name, path in files.items()}
    cycles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def strongconnect(node: str) -> None:  # Tarjan, iterative enough for a few hundred modules
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                strongconnect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            strongconnect(name)
    assert cycles == [], f"modules that import each other: {cycles}"
