"""What a handler or job needs to reach the domain: built once, passed explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.settings import Settings


@dataclass(frozen=True, kw_only=True)
class Deps:
    settings: Settings
    session_factory: sessionmaker[Session]
    clock: Clock
    # OAuth mode: forget a workspace's installation (its bot token) after `app_uninstalled`
    # or a revoked bot token, so nothing is sent there until it installs again; given the
    # event's time, an installation saved after it is kept (a late redelivery) and False
    # returned. None in token mode, where the one token is the deployment's, not the database's.
    delete_installation: Callable[[str, float | None], bool] | None = None
