"""slack_sdk's SQLAlchemy stores (and the sqlalchemy.ext.asyncio they pull in) load only in
OAuth mode: a token-mode `serve` answering requests stays as small as before (issue 13)."""

from __future__ import annotations

from tests.unit.test_serve_imports import _loaded_after

OAUTH_ONLY = ("slack_sdk.oauth.installation_store.sqlalchemy", "sqlalchemy.ext.asyncio", "bot.slack.oauth")


def test_token_mode_answering_requests_loads_no_oauth_store() -> None:
    loaded = _loaded_after(
        """
        import bot.cli
        from bot.sandbox.harness import SandboxedApp

        with SandboxedApp() as app:
            app.sandbox.add_user(user_id="UANA", name="ana", email="ana@example.org")
            assert app.slash("UANA", "/mentoring", "help").status == 200
            app.deliver()
        """,
        watch=OAUTH_ONLY,
    )
    assert loaded == []


def test_oauth_mode_loads_them() -> None:
    loaded = _loaded_after(
        """
        from bot.sandbox.harness import SandboxedApp

        with SandboxedApp(oauth=True) as app:
            app.deliver()
        """,
        watch=OAUTH_ONLY,
    )
    assert loaded == sorted(OAUTH_ONLY)
