"""What a handler or job needs to reach the domain: built once, passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.settings import Settings


@dataclass(frozen=True, kw_only=True)
class Deps:
    settings: Settings
    session_factory: sessionmaker[Session]
    clock: Clock
