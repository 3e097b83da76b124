"""The web process stays small: what `mentorbot serve` imports to answer requests does not
load scipy, numpy or openpyxl (about 60 MiB resident together; matching, workbooks,
reports and exports load them when asked), and a start on a database already at the
newest migration does not load Alembic (about 9 MiB). Each check runs in a fresh
interpreter, since this test process has long since imported everything.
See benchmarks/bench_memory.py for the figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from storage.db import make_engine
from storage.migrate import alembic_config, at_head, head_revisions, upgrade_to_head

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "numpy", "openpyxl")


def _loaded_after(code: str, *, watch: tuple[str, ...]) -> list[str]:
    """Run `code` in a new interpreter and return which of `watch` it left in sys.modules."""
    script = textwrap.dedent(code) + textwrap.dedent(
        f"""
        import json, sys
        print(json.dumps(sorted(name for name in {list(watch)!r} if name in sys.modules)))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_serve_modules_import_no_scientific_or_spreadsheet_library() -> None:
    loaded = _loaded_after(
        """
        import bot.cli
        import bot.slack.app
        import bot.slack.server
        import bot.slack.web
        import handlers
        import scheduling.deliverer
        import scheduling.ticks
        """,
        watch=HEAVY,
    )
    assert loaded == []


def test_answering_commands_buttons_and_home_loads_none_of_them() -> None:
    # The real Bolt app with every listener registered, answering signed requests over HTTP.
    loaded = _loaded_after(
        """
        from bot.sandbox.harness import SandboxedApp

        with SandboxedApp() as app:
            app.sandbox.add_user(user_id="UANA", name="ana", email="ana@example.org")
            assert app.slash("UANA", "/mentoring", "help").status == 200
            assert app.click("UANA", "profile.open").status == 200
            assert app.driver.app_home_opened(user_id="UANA").status == 200
            app.settle()
            assert app.sandbox.calls, "the requests reached no listener"
        """,
        watch=HEAVY,
    )
    assert loaded == []


def test_the_heavy_libraries_still_load_when_a_round_is_scored() -> None:
    # The lazy imports are real imports: scoring a round pulls numpy and scipy in.
    loaded = _loaded_after(
        """
        from bot.matching.engine import MatchCandidate, propose

        mentee = MatchCandidate(id=1, name="Ana", email="ana@example.org", role="mentee", utc_offset_hours=1.0,
                                languages=frozenset({"en"}))
        mentor = MatchCandidate(id=2, name="Lars", email="lars@example.org", role="mentor", utc_offset_hours=1.0,
                                languages=frozenset({"en"}))
        assert len(propose(mentees=[mentee], mentors=[mentor]).pairs) == 1
        """,
        watch=HEAVY,
    )
    assert loaded == ["numpy", "scipy"]


def test_head_revisions_read_from_the_files_agree_with_alembic() -> None:
    from alembic.script import ScriptDirectory

    engine = make_engine("sqlite://")
    assert head_revisions() == frozenset(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def test_a_start_on_a_migrated_database_does_not_import_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/migrated.db"
    engine = make_engine(url)
    assert not at_head(engine)
    upgrade_to_head(engine)
    assert at_head(engine)
    engine.dispose()
    loaded = _loaded_after(
        f"""
        from storage.db import make_engine
        from storage.migrate import upgrade_to_head

        upgrade_to_head(make_engine({url!r}))
        """,
        watch=("alembic",),
    )
    assert loaded == []
