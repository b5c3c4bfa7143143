"""Secrets out of every log line, whoever logs it (our code, uvicorn, httpx, urllib3, APScheduler).

``Redactor`` is a logging filter for the root handlers. It masks secrets by shape
(query parameters such as ``secret=`` or ``access_token=`` in the token-fetch and
send URLs that httpx and urllib3 log at DEBUG, the bot token in every Telegram Bot
API path, ``user:password@`` in URLs, calendar-feed paths, console login links, binding codes) and by
value (every secret in the settings, collected at start-up by ``secrets_of``).
Values shorter than ``MIN_SECRET`` characters are left to the shapes: masking a
three-letter token wherever it occurs would garble every line.

``AccessLogPaths`` rewrites uvicorn's access-log lines: method, path and status stay,
the query string (callback signatures, timestamps, nonces) goes, and the calendar-feed
token in ``/calendar/<token>.ics`` and the secret of a console login link ``/console/login/<code>``
are masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.settings import Settings

MASK = "***"
MIN_SECRET = 6

# Query parameters named in the platforms' URLs: 公众号 token fetch (secret), WeCom gettoken (corpsecret),
# every API call (access_token), WeCom robot webhooks (key), callbacks (signature, msg_signature), the
# 钉钉 robot webhook (access_token, sign) and callback (sign), and a web login's one-time code.
_QUERY = re.compile(
    r"(?i)([?&;](?:secret|corpsecret|access_token|key|signature|msg_signature|token|password|sign|code)=)"
    r"[^&#\s\"'<>]*"
)
# name=value and "name": "value" pairs whose name says secret, wherever they appear (a dumped table, a URL);
# not "name: text", which is how a configuration error names its key.
_PAIR = re.compile(
    r"(?i)(\b(?:app_secret|corpsecret|secret|access_token|bot_token|webhook_secret|webhook_key|"
    r"encoding_aes_key|msg_signature|signature|password)(?:\s*=\s*[\"']?|[\"']\s*:\s*[\"']))"
    r"[^\s\"'&,;}]+"
)
_TELEGRAM_PATH = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
_TELEGRAM_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
_URL_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@")
_FEED = re.compile(r"(/calendar/)[^/\s?#]+?(\.ics)")
_CONSOLE_LINK = re.compile(r"(/console/login/)[^/\s?#\"']+")  # a one-time web-console login link
# storage/bindcodes.py shows codes as XXXX-XXXX from an alphabet without 0, 1, I, L and O.
_BIND_CODE = re.compile(r"\b[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}\b")

_SHAPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (_URL_PASSWORD, rf"\1{MASK}@"),
    (_TELEGRAM_PATH, f"/bot{MASK}"),
    (_TELEGRAM_TOKEN, MASK),
    (_QUERY, rf"\1{MASK}"),
    (_PAIR, rf"\1{MASK}"),
    (_FEED, rf"\1{MASK}\2"),
    (_CONSOLE_LINK, rf"\1{MASK}"),
    (_BIND_CODE, f"{MASK}-{MASK}"),
)

# Names of account-table keys that hold secrets: app_secret, secret, token, encoding_aes_key, bot_token,
# webhook_secret, webhook_key, and whatever a new channel calls its password.
_SECRET_KEY = re.compile(r"(?i)secret|token|(?<!app_)key|password|hook_id")  # 钉钉 app_key is an id


class Redactor(logging.Filter):
    """Masks secrets in the message, the arguments' rendering and the traceback of every record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        forms = {form for value in secrets if len(value) >= MIN_SECRET for form in _forms(value)}
        longest_first = sorted(forms, key=len, reverse=True)  # a value inside another is not half-masked
        self._values = re.compile("|".join(map(re.escape, longest_first))) if longest_first else None

    def redact(self, text: str) -> str:
        if self._values is not None:
            text = self._values.sub(MASK, text)
        for pattern, replacement in _SHAPES:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it, with nothing rendered
            return True
        clean = self.redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class AccessLogPaths(logging.Filter):
    """uvicorn's access line ``client - "METHOD path HTTP/x" status`` without query string or feed token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            bare = str(path).split("?", 1)[0]
            bare = _CONSOLE_LINK.sub(rf"\1{MASK}", _FEED.sub(rf"\1{MASK}\2", bare))
            record.args = (client, method, bare, version, status)
        return True


def secrets_of(settings: Settings) -> set[str]:
    """Every secret in the settings: account keys, tokens and secrets, and the database password."""
    found: set[str] = set()
    for tables in settings.channels.values():
        for table in tables.values():
            found.update(_secret_values(table))
    try:
        password = make_url(settings.db_url).password
    except Exception:  # an unreadable URL fails later, with its own message
        password = None
    if password:
        found.add(str(password))
    return {value for value in found if value}


def _secret_values(table: Mapping[str, Any]) -> Iterator[str]:
    for key, value in table.items():
        if isinstance(value, Mapping):
            yield from _secret_values(value)
        elif _SECRET_KEY.search(str(key)):
            if isinstance(value, SecretStr):
                yield value.get_secret_value()
            elif isinstance(value, str):
                yield value


def _forms(value: str) -> set[str]:
    """The value as written and as it appears in a URL."""
    return {value, quote(value, safe=""), quote_plus(value)}
