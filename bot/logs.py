"""How every mentorbot process logs: one configuration for the CLI, the server and the worker.

The people in a programme are private persons, and logs travel further than the database
(hosting dashboards, support tickets). So names, notes, the bot token and the signing
secret must never reach a log line, at any level. Our own code logs ids only. The
libraries are the risk: at DEBUG the Slack SDK logs each Web API call's body (message
texts: names, 1:1 notes, survey comments) and each answer; SQLAlchemy's engine logs every
statement with its parameters as soon as its logger is enabled for INFO, which a DEBUG
root does; urllib3 logs the URLs it fetches (a file's download address). `-v` is meant
for our code, so those loggers keep their own quieter levels whatever the root's.

As a second line, a filter on the handlers blanks the bot token, the signing secret,
anything shaped like a Slack token and PostgreSQL's DETAIL line (which quotes a row's
values), in the message and in a traceback, should one ever reach a log line (an
exception that quotes a request, a constraint error). The engine itself leaves statement
parameters out of its errors (`storage.db.make_engine`).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Loggers that print payloads or parameters below these levels, and the level each keeps.
LIBRARY_LEVELS: Mapping[str, int] = {
    "slack_sdk": logging.INFO,  # DEBUG: every request body and response
    "slack_bolt": logging.INFO,  # DEBUG: middleware and listener traces with payload parts
    "sqlalchemy": logging.WARNING,  # INFO: every statement and its parameters (names, notes)
    "urllib3": logging.INFO,  # DEBUG: URLs, file download addresses among them
    "alembic": logging.WARNING,  # INFO: each migration step, noise in a running bot
}

REDACTED = "[redacted]"
_SLACK_TOKEN = re.compile(r"\bxox[abeoprs]-[A-Za-z0-9-]+|\bxapp-[A-Za-z0-9-]+")
#: PostgreSQL's detail line of a constraint error quotes the row's values ("Key (round_id,
#: email)=(1, ana@example.org) already exists", "Failing row contains (...)").
_DATABASE_DETAIL = re.compile(r"(DETAIL:\s*).*")
_SECRET_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_SECRET")


class RedactSecrets(logging.Filter):
    """Blanks the configured secrets and Slack-token-shaped strings in a record's message
    and traceback before any handler formats it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Longest first, so a secret containing another is blanked whole; short strings
        # (an empty or test value) would blank ordinary words, so they are not taken.
        self._secrets = sorted({secret for secret in secrets if len(secret) >= 8}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return _DATABASE_DETAIL.sub(rf"\g<1>{REDACTED}", _SLACK_TOKEN.sub(REDACTED, text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class QuietLibraries(logging.Filter):
    """Drops a library's records below its level in `LIBRARY_LEVELS`, at the handler.

    Setting the loggers' levels is not enough: Bolt copies the root logger's level into
    each logger it makes (`slack_bolt.App`, when the app is built, after this
    configuration), so at -v its DEBUG lines (responses it sends back) would go out."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, level in LIBRARY_LEVELS.items():
            if record.name == name or record.name.startswith(name + "."):
                return record.levelno >= level
        return True


def configure_logging(
    *, verbose: bool = False, stream: TextIO | None = None, environ: Mapping[str, str] | None = None,
    replace: bool = False,
) -> None:
    """Log to `stream` (stderr) at INFO, or DEBUG for our code with `verbose`; the libraries
    in `LIBRARY_LEVELS` stay at their level either way, and every handler blanks secrets
    (the values of `_SECRET_VARIABLES` in `environ`, os.environ by default).

    Like `logging.basicConfig`, handlers already on the root logger are kept (a host that
    set up its own logging, or pytest's capture) unless `replace`; they get the filter too."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format=FORMAT, stream=stream,
                        force=replace)
    for name, level in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(level)
    env = os.environ if environ is None else environ
    redact = RedactSecrets(value.strip() for name in _SECRET_VARIABLES if (value := env.get(name, "")))
    for handler in logging.getLogger().handlers:
        handler.addFilter(QuietLibraries())
        handler.addFilter(redact)


__all__ = ["FORMAT", "LIBRARY_LEVELS", "REDACTED", "QuietLibraries", "RedactSecrets", "configure_logging"]
