"""Slack listeners only: ack, check who is asking, parse, call one service, render."""

from __future__ import annotations

from slack_bolt import App

from bot.container import Deps


def register_all(app: App, deps: Deps) -> None:
    from handlers import actions, commands, events, middleware, views

    middleware.register(app, deps)
    commands.register(app)
    actions.register(app)
    views.register(app)
    events.register(app)
