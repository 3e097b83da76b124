"""Acknowledge in the request thread, work afterwards: the ONE way every listener is registered.

Slack waits 3 seconds for the acknowledgement. When Bolt ran whole listeners in its thread
pool (`process_before_response=False`), the ack of a new request waited for a pool thread,
and under a burst every thread was busy with earlier requests' database and Web API calls
(~150 ms each): at 50 requests/s most acks missed 3 seconds. The app now runs with
`process_before_response=True`, so middleware and the ack part run in the web server's
request thread, and the listener's real work is handed to Bolt's listener executor after
the answer is decided:

- `ack_first(listener)`: commands, clicks, events and modals answered with a plain ack.
  The request thread acknowledges; the listener runs on the executor with an `ack` that is
  already spent (calling it again is harmless, as in one of Bolt's lazy functions).
- `answer_then(listener)`: modal submissions whose answer (`errors`, `update`) must come
  in the ack. The listener runs in the request thread up to its ack, validating and saving
  in one short database transaction (no network call), and returns the Web API follow-up
  (a DM, a redrawn message, the Home tab) as a callable, which the executor runs.

The executor is the app's own (`after_ack_executor`), not Bolt's default of 5 threads: the
work after an ack mostly waits for Slack (~150 ms a Web API call), so 5 threads finish
about 25 follow-ups a second, and at 200 requests/s the follow-ups queued for 10-20 s
(a modal's trigger_id lives 3 s). The threads wait on the network, not on the CPU.

This is Bolt's lazy-listener split without its deep copy of the request: Bolt copies the
context for a lazy function, and the app's dependencies (an engine with its pool and locks)
cannot be copied, so the listener would lose them. Here the follow-up keeps the very
context the middleware filled once (the viewer is resolved once per request) and runs on
the same executor Bolt's lazy listeners would use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import wraps
from typing import Any

from slack_bolt import BoltRequest
from slack_bolt.kwargs_injection.utils import build_required_kwargs
from slack_bolt.util.utils import get_arg_names_of_callable

log = logging.getLogger(__name__)

#: What `answer_then` listeners return: the work to do once Slack has its answer.
FollowUp = Callable[[], None]
Listener = Callable[..., Any]

#: Threads for the work after the acks: 200 requests/s whose follow-up is one Web API call
#: of ~150 ms (plus a short transaction) keep about 30-40 busy at once.
AFTER_ACK_THREADS = 48


def after_ack_executor() -> ThreadPoolExecutor:
    """The executor deferred work runs on in production (tests pass their own to wait on)."""
    return ThreadPoolExecutor(max_workers=AFTER_ACK_THREADS, thread_name_prefix="mentorbot-after-ack")


def _spent_ack(*_args: Any, **_kwargs: Any) -> None:
    """The ack a deferred listener gets: the request thread has acknowledged already."""


def defer(context: Mapping[str, Any], work: Callable[[], Any], name: str = "a listener") -> None:
    """Run `work` after the acknowledgement, on Bolt's listener executor.

    Bolt puts its listener runner in every request's context; its executor is the one
    Bolt's lazy listeners run on (the sandbox harness passes one it can wait on). A context
    Bolt did not build (a handler test calling a listener directly) has none: the work runs
    at once, in order, as it did before the split."""
    executor = getattr(context.get("listener_runner"), "listener_executor", None)
    if isinstance(executor, Executor):
        executor.submit(_run_logged, work, name)
    else:
        work()


def _run_logged(work: Callable[[], Any], name: str) -> None:
    """Run deferred work; an exception after the ack has no one to answer, so it is logged."""
    try:
        work()
    except Exception:
        log.exception("the work of %s failed after the acknowledgement", name)


def _kwargs_for(
    listener: Listener, arg_names: list[str], request: BoltRequest, logger: logging.Logger
) -> dict[str, Any]:
    """The arguments Bolt itself would inject into `listener` for this request. `arg_names`
    are read once per listener at registration (inspect's signature reading cost more per
    request than the rest of this)."""
    return build_required_kwargs(logger=logger, required_arg_names=arg_names,
                                 request=request, response=None, this_func=listener, next_keys_required=False)


def ack_first(listener: Listener) -> Listener:
    """Acknowledge at once in the request thread; run `listener` on the executor (its
    arguments are gathered there too: the request thread only acknowledges and hands over)."""
    name = getattr(listener, "__name__", repr(listener))
    arg_names = get_arg_names_of_callable(listener)

    @wraps(listener)
    def acknowledge_then_work(request: BoltRequest, logger: logging.Logger) -> None:
        request.context.ack()

        def work() -> None:
            kwargs = _kwargs_for(listener, arg_names, request, logger)
            if "ack" in kwargs:
                kwargs["ack"] = _spent_ack
            listener(**kwargs)

        defer(request.context, work, name)

    del acknowledge_then_work.__wrapped__  # Bolt must inject this wrapper's arguments, not the listener's
    acknowledge_then_work.listener = listener  # type: ignore[attr-defined]
    return acknowledge_then_work


def answer_then(listener: Listener) -> Listener:
    """Run `listener` in the request thread up to its ack; run the follow-up it returns on the executor."""
    name = getattr(listener, "__name__", repr(listener))
    arg_names = get_arg_names_of_callable(listener)

    @wraps(listener)
    def answer_then_work(request: BoltRequest, logger: logging.Logger) -> None:
        follow_up = listener(**_kwargs_for(listener, arg_names, request, logger))
        if callable(follow_up):
            defer(request.context, follow_up, name)

    del answer_then_work.__wrapped__
    answer_then_work.listener = listener  # type: ignore[attr-defined]
    return answer_then_work


def unwrapped(listener: Listener) -> Listener:
    """The listener function a registration wraps (for tests that call listeners directly)."""
    inner = getattr(listener, "listener", None)
    return inner if callable(inner) else listener


__all__ = ["AFTER_ACK_THREADS", "FollowUp", "ack_first", "after_ack_executor", "answer_then", "defer", "unwrapped"]
