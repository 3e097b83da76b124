"""The one APScheduler process: a tick every minute and the outbox deliverer.

APScheduler 3 cannot share a job store between processes, so exactly one scheduler runs:
`mentorbot worker`, or inside `mentorbot run`. Jobs have fixed ids and an in-memory
store: the database, not the scheduler, remembers what is due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

log = logging.getLogger(__name__)

TICK_JOB_ID = "tick"
DELIVER_JOB_ID = "deliver-outbox"
TICK_EVERY_SECONDS = 60
DELIVER_EVERY_SECONDS = 5
# A delivery run keeps going while rows are due within seconds, for this long at most: a
# little under the interval, so the next run starts at once and never meets this one.
DELIVER_RUN_SECONDS = DELIVER_EVERY_SECONDS - 0.25


def build_scheduler(
    *,
    tick: Callable[[], None],
    deliver: Callable[[], None],
    blocking: bool,
    tick_every_seconds: int = TICK_EVERY_SECONDS,
    deliver_every_seconds: int = DELIVER_EVERY_SECONDS,
) -> BaseScheduler:
    scheduler: BaseScheduler = BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC")
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30, "replace_existing": True}
    scheduler.add_job(_logged(tick, TICK_JOB_ID), "interval", seconds=tick_every_seconds, id=TICK_JOB_ID, **defaults)
    scheduler.add_job(
        _logged(deliver, DELIVER_JOB_ID), "interval", seconds=deliver_every_seconds, id=DELIVER_JOB_ID, **defaults
    )
    return scheduler


def _logged(job: Callable[[], None], name: str) -> Callable[[], None]:
    """An exception in one run is logged and the next run tries again; it never kills the scheduler."""

    def run() -> None:
        try:
            job()
        except Exception:
            log.exception("scheduled job %s failed; it will run again at its next interval", name)

    run.__name__ = f"run_{name.replace('-', '_')}"
    return run
