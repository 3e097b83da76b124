"""Delivering many outbox messages to the sandbox, under faults and under SIGKILL, and counting
what arrived: the shared machinery of the delivery tests and `benchmarks/bench_crash.py`,
`benchmarks/bench_faults.py`.

The figures are counted in the sandbox, never read from the deliverer's own report: a
message is *lost* when no copy carrying its outbox key is in its conversation, and *sent
twice* when more than one is. The crash trials run the deliverer in a child process
(`python -m tests.support.crash_worker`) against the sandbox in this process, kill it with
SIGKILL at random points and start a new one, which takes the dead one's claims over with
`release_in_flight_claims`, as a worker taking the lease over does.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import SystemClock
from bot.core.outbox import OutgoingCall, enqueue_all
from bot.sandbox import SlackSandbox
from bot.slack.sender import OUTBOX_EVENT_TYPE, SlackWebSender, make_web_client
from scheduling.deliverer import SEND_CONCURRENCY, OutboxDeliverer
from scheduling.pacing import Pacer
from storage.db import unit_of_work
from storage.models import OutboxMessage, OutboxState

REPO_ROOT = Path(__file__).resolve().parents[2]
UNFINISHED = (OutboxState.PENDING, OutboxState.SENDING)
TEXT_PREFIX = "message "
FOUND_LOG = "already posted"  # what the deliverer logs for a row it found and did not send again


@dataclass(frozen=True)
class DeliveryWorld:
    """Channels and DM partners in the sandbox, and the keys of the messages queued to them."""

    channel_ids: tuple[str, ...]
    dm_user_ids: tuple[str, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Tally:
    messages: int
    lost: int  # no copy in its conversation
    duplicates: int  # keys with more than one copy
    extra_copies: int  # copies beyond the first, over all keys


def seed_world(
    sandbox: SlackSandbox,
    session_factory: sessionmaker[Session],
    *,
    messages: int,
    channels: int,
    dms: int = 0,
    now: datetime,
    prefix: str = "load",
    in_a_row: int = 1,
) -> DeliveryWorld:
    """`messages` chat.postMessage rows, dealt round-robin to `channels` channels the bot is in
    and `dms` people addressed by user id (a DM, as the outbox addresses people); `in_a_row`
    consecutive rows go to the same conversation before the next one's turn."""
    channel_ids = tuple(
        sandbox.add_channel(name=f"{prefix}-{index}", members=(sandbox.bot_user_id,))["id"] for index in range(channels)
    )
    dm_user_ids = tuple(f"U{prefix.upper()[:3]}{index:05d}" for index in range(dms))
    for user_id in dm_user_ids:
        sandbox.add_user(user_id=user_id, name=user_id.lower())
    targets = channel_ids + dm_user_ids
    keys = tuple(f"{prefix}:{index}" for index in range(messages))
    calls = [
        OutgoingCall(
            dedup_key=key,
            method="chat.postMessage",
            team_id="",
            payload={"channel": targets[(index // in_a_row) % len(targets)], "text": f"{TEXT_PREFIX}{key}"},
            not_before=now,
        )
        for index, key in enumerate(keys)
    ]
    with unit_of_work(session_factory) as session:
        assert enqueue_all(session, calls, now=now) == messages
    return DeliveryWorld(channel_ids=channel_ids, dm_user_ids=dm_user_ids, keys=keys)


def copies_per_key(sandbox: SlackSandbox, world: DeliveryWorld) -> Counter[str]:
    """How many messages carrying each outbox key are in the world's conversations."""
    counts: Counter[str] = Counter()
    conversations = [sandbox.messages_in(c) for c in world.channel_ids]
    conversations += [sandbox.dm_messages(u) for u in world.dm_user_ids]
    for messages in conversations:
        for message in messages:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == OUTBOX_EVENT_TYPE:
                counts[str(metadata["event_payload"]["key"])] += 1
            elif str(message.get("text", "")).startswith(TEXT_PREFIX):  # posted without its key
                counts[str(message["text"])[len(TEXT_PREFIX):]] += 1
    return counts


def tally(sandbox: SlackSandbox, world: DeliveryWorld) -> Tally:
    counts = copies_per_key(sandbox, world)
    return Tally(
        messages=len(world.keys),
        lost=sum(1 for key in world.keys if counts[key] == 0),
        duplicates=sum(1 for key in world.keys if counts[key] > 1),
        extra_copies=sum(max(0, counts[key] - 1) for key in world.keys),
    )


def outbox_states(session_factory: sessionmaker[Session]) -> dict[OutboxState, int]:
    with unit_of_work(session_factory) as session:
        rows = session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all()
    return {state: int(count) for state, count in rows}


def make_deliverer(
    session_factory: sessionmaker[Session],
    *,
    base_url: str,
    token: str,
    backoff_base: timedelta = timedelta(seconds=2),
    backoff_cap: timedelta = timedelta(minutes=5),
    timeout: float = 15.0,
    max_in_flight: int = SEND_CONCURRENCY,
) -> OutboxDeliverer:
    """The production deliverer (Slack sender, real pacer, system clock) pointed at a sandbox."""
    client = make_web_client(token=token, base_url=base_url)
    client.timeout = int(max(1, timeout))
    return OutboxDeliverer(
        session_factory=session_factory,
        sender=SlackWebSender(client),
        clock=SystemClock(),
        pacer=Pacer(),
        backoff_base=backoff_base,
        backoff_cap=backoff_cap,
        max_in_flight=max_in_flight,
    )


def deliver_until_done(
    deliverer: OutboxDeliverer, session_factory: sessionmaker[Session], *, give_up_after: float = 600.0
) -> None:
    """Run the deliverer as the worker does, until no row is pending or being sent; between
    rounds wait for the soonest row set aside (capped, so a short wait is never overslept)."""
    deadline = time.monotonic() + give_up_after
    while True:
        deliverer.deliver_due()
        with unit_of_work(session_factory) as session:
            soonest = session.scalar(
                select(func.min(OutboxMessage.not_before)).where(OutboxMessage.state.in_(UNFINISHED))
            )
        if soonest is None:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"rows still unfinished after {give_up_after:.0f} s")
        wait = (soonest - SystemClock().now()).total_seconds()
        time.sleep(min(max(wait, 0.005), 0.2))


@dataclass
class CrashTrial:
    kills: int = 0
    starts: int = 0
    exit_codes: list[int] = field(default_factory=list)
    found: int = 0  # rows a worker found already posted (by a killed one) and did not send again


def worker_command(*, database_url: str, sandbox: SlackSandbox, backoff_base: float) -> list[str]:
    return [
        sys.executable, "-m", "tests.support.crash_worker",
        "--database-url", database_url,
        "--base-url", sandbox.base_url,
        "--token", sandbox.bot_token,
        "--backoff-base", str(backoff_base),
    ]


def run_crash_trial(
    sandbox: SlackSandbox,
    *,
    database_url: str,
    messages: int,
    kills: int,
    rng: random.Random,
    backoff_base: float = 0.2,
    give_up_after: float = 900.0,
) -> CrashTrial:
    """Start the worker, SIGKILL it `kills` times at random points while it delivers (after a
    random number of its posts, then a random pause of up to a little more than one call's
    latency, so kills land before, during and after calls), and let the last one finish."""
    trial = CrashTrial()
    spread = max(2, (2 * messages) // max(1, kills + 1))
    deadline = time.monotonic() + give_up_after
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with tempfile.TemporaryFile(mode="w+") as logs:
        _run_workers(sandbox, trial, database_url=database_url, kills=kills, rng=rng, spread=spread,
                     backoff_base=backoff_base, deadline=deadline, env=env, logs=logs)
        logs.seek(0)
        text = logs.read()
    trial.found = text.count(FOUND_LOG)
    if os.environ.get("MENTORBOT_CRASH_WORKER_LOGS"):
        print(text, file=sys.stderr)
    return trial


def _run_workers(
    sandbox: SlackSandbox, trial: CrashTrial, *, database_url: str, kills: int, rng: random.Random, spread: int,
    backoff_base: float, deadline: float, env: dict[str, str], logs: IO[str],
) -> None:
    while True:
        posts_before = len(sandbox.calls_to("chat.postMessage"))
        process = subprocess.Popen(
            worker_command(database_url=database_url, sandbox=sandbox, backoff_base=backoff_base),
            cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=logs,
        )
        trial.starts += 1
        if trial.kills < kills:
            target = posts_before + rng.randint(1, spread)
            while process.poll() is None and len(sandbox.calls_to("chat.postMessage")) < target:
                if time.monotonic() > deadline:
                    process.kill()
                    raise TimeoutError("the worker never finished")
                time.sleep(0.001)
            time.sleep(rng.uniform(0.0, sandbox.latency_seconds * 1.5 + 0.005))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                trial.kills += 1
                continue
        try:
            code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        trial.exit_codes.append(code)
        if code != 0:
            logs.seek(0)
            raise RuntimeError(f"the worker exited with {code}:\n{logs.read()[-3000:]}")
        return
