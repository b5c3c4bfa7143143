"""Log levels per command, JSON lines, and the masking every record gets on its way out.

tests/e2e/test_log_secrets.py runs a real `zhibu -v serve` against the fake platforms;
these are the pieces, one line at a time, as httpx, urllib3 and uvicorn write them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from bot import logs
from bot.cli import app
from bot.core.clock import SHANGHAI
from bot.redact import AccessLogPaths, Redactor, secrets_of
from bot.settings import Settings
from tests.bot.callbacks import OA_AES, wechat_table, wecom_table
from tests.bot.test_telegram import TOKEN as BOT_TOKEN
from tests.fakes.robot_api import RobotApi
from tests.fakes.serve import serve

WATCHED = ("", *logs.OWN_LOGGERS, *logs.NEVER_BELOW_WARNING, "httpx")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """bot.logs changes process-wide state: put back levels, handlers and filters after each test."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in WATCHED}
    handlers = list(root.handlers)
    filters = {handler: list(handler.filters) for handler in handlers}
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler, kept in filters.items():
        handler.filters[:] = kept
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _emit_sample() -> None:
    logging.getLogger("bot.sender").info(
        "delivery batch: 3 claimed, 3 sent, 0 to retry, 0 failed, 0 put back"
    )
    logging.getLogger("bot.sender").warning(
        "delivery 7 channel=robot account=b chat=b failed: robot errcode 93000"
    )
    logging.getLogger("httpx").info(
        'HTTP Request: POST https://api.telegram.org/bot%s/sendMessage "200 OK"', BOT_TOKEN
    )
    logging.getLogger("httpx").debug("load_ssl_context verify=True")
    logging.getLogger("sqlalchemy.engine.Engine").info("INSERT INTO accesstoken ... ('TOKEN-9',)")


def test_short_commands_show_warnings_only(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup()
    _emit_sample()
    err = capsys.readouterr().err
    assert "failed: robot errcode 93000" in err
    assert "delivery batch" not in err and "HTTP Request" not in err


def test_serve_at_info_shows_batches_and_failures_but_not_every_http_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup_serve(Settings(), verbose=False)
    _emit_sample()
    err = capsys.readouterr().err
    assert "INFO bot.sender: delivery batch: 3 claimed, 3 sent" in err
    assert "WARNING bot.sender: delivery 7" in err
    assert "HTTP Request" not in err and "accesstoken" not in err


def test_verbose_shows_every_library_masked_and_never_sql(capsys: pytest.CaptureFixture[str]) -> None:
    logs.setup_serve(Settings(), verbose=True)
    _emit_sample()
    err = capsys.readouterr().err
    assert "/bot***/sendMessage" in err and "load_ssl_context" in err
    assert BOT_TOKEN not in err
    assert "TOKEN-9" not in err  # SQL parameters hold access tokens, names and phones


def test_json_lines_carry_time_level_logger_message_and_the_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup_serve(Settings(logging={"format": "json", "level": "INFO"}), verbose=False)
    try:
        raise ConnectionError(f"Max retries exceeded with url: /bot{BOT_TOKEN}/getUpdates")
    except ConnectionError:
        logging.getLogger("bot.channels.telegram").exception("telegram %s polling failed", "default")
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "bot.channels.telegram"
    assert entry["message"] == "telegram default polling failed"
    assert datetime.fromisoformat(entry["time"]).utcoffset() == SHANGHAI.utcoffset(datetime.now())
    assert "ConnectionError: Max retries exceeded with url: /bot***/getUpdates" in entry["exc_info"]
    assert BOT_TOKEN not in line


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (  # urllib3 at DEBUG, wechatpy's token fetch
            'http://api.weixin.qq.com:443 "GET /cgi-bin/token?grant_type=client_credential&secret=3f9a2c"',
            'http://api.weixin.qq.com:443 "GET /cgi-bin/token?grant_type=client_credential&secret=***"',
        ),
        (
            "GET /cgi-bin/gettoken?corpid=ww01&corpsecret=Qv8-x_2 HTTP/1.1",
            "GET /cgi-bin/gettoken?corpid=ww01&corpsecret=*** HTTP/1.1",
        ),
        (
            "POST /cgi-bin/message/send?access_token=ACC.tok-1 200",
            "POST /cgi-bin/message/send?access_token=*** 200",
        ),
        (  # a WeCom web login's one-time code
            "GET /cgi-bin/auth/getuserinfo?access_token=ACC.tok-1&code=CODE-7 HTTP/1.1",
            "GET /cgi-bin/auth/getuserinfo?access_token=***&code=*** HTTP/1.1",
        ),
        (
            "POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
            "POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***",
        ),
        (
            "POST /wechat/a?timestamp=1&nonce=2&signature=ab12&msg_signature=cd34",
            "POST /wechat/a?timestamp=1&nonce=2&signature=***&msg_signature=***",
        ),
        (
            "POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
            "POST https://api.telegram.org/bot***/getMe",
        ),
        ("token 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw refused", "token *** refused"),
        (
            "connecting to postgresql+psycopg://zhibu:hunter2@db.internal/zhibu",
            "connecting to postgresql+psycopg://zhibu:***@db.internal/zhibu",
        ),
        ("GET /calendar/kX3_p-Q9zA1b.ics 200", "GET /calendar/***.ics 200"),
        ("invite code SG7M-FQ4S for 朱婷", "invite code ***-*** for 朱婷"),
        ("table {'app_secret': 'abc123', 'app_id': 'wx1'}", "table {'app_secret': '***', 'app_id': 'wx1'}"),
        # our own lines stay as they are
        (
            '{"errcode": 0, "access_token": "ACC-77", "expires_in": 7200}',
            '{"errcode": 0, "access_token": "***", "expires_in": 7200}',
        ),
        ("job done job=birthdays queued=3", "job done job=birthdays queued=3"),
        (
            "wechat.default.encoding_aes_key: must be 43 characters",
            "wechat.default.encoding_aes_key: must be 43 characters",
        ),
        (
            "handler late channel=wechat key=1001: not stored yet",
            "handler late channel=wechat key=1001: not stored yet",
        ),
        (
            "callback refused path=/wechat/a: signature already used with another body",
            "callback refused path=/wechat/a: signature already used with another body",
        ),
    ],
)
def test_secrets_are_masked_by_their_shape(line: str, masked: str) -> None:
    assert Redactor().redact(line) == masked


def test_configured_secrets_are_masked_wherever_they_appear() -> None:
    settings = Settings(
        database_url="postgresql://zhibu:pg-Pass%2Fword@db/zhibu",
        wechat={"default": wechat_table(safe=True, app_secret="oa-app-secret")},
        wecom={"default": wecom_table()},
        robot={"branch1": {"webhook_key": "robot-key-0001"}},
        telegram={"default": {"bot_token": BOT_TOKEN, "webhook_secret": "hook_secret_1"}},
        dingtalk_robot={"b2": {"access_token": "dt-token-0001", "secret": "SEC-dt-0001"}},
        feishu_robot={"b3": {"hook_id": "fs-hook-0001", "secret": "fs-secret-01"}},
        dingtalk={"default": {"app_key": "dingappkey01", "app_secret": "dt-app-secret"}},
        feishu={
            "default": {
                "app_id": "cli_a1b2c3",
                "app_secret": "fs-app-secret",
                "verification_token": "fs-verify",
                "encrypt_key": "fs-encrypt-key",
            }
        },
    )
    found = secrets_of(settings)
    assert {"oa-app-secret", OA_AES, "work-secret", "robot-key-0001", BOT_TOKEN, "hook_secret_1"} <= found
    assert {"dt-token-0001", "SEC-dt-0001", "fs-hook-0001", "fs-secret-01", "dt-app-secret"} <= found
    assert {"fs-app-secret", "fs-verify", "fs-encrypt-key", "pg-Pass/word"} <= found
    assert "dingappkey01" not in found and "cli_a1b2c3" not in found
    assert "wx1234567890abcdef" not in found and "ww0123456789abcdef" not in found  # ids are not secrets
    redactor = Redactor(found)
    assert redactor.redact(f"aes {OA_AES} key") == "aes *** key"
    assert redactor.redact("error: robot-key-0001 is not valid") == "error: *** is not valid"
    assert redactor.redact("password pg-Pass%2Fword") == "password ***"  # as it appears in a URL
    assert Redactor(["abc"]).redact("abc cabbage") == "abc cabbage"  # too short to mask by value


def test_the_access_log_shows_method_path_and_status_without_query_or_feed_token() -> None:
    def access(path: str) -> str:
        args = ("203.0.113.7:5123", "POST", path, "1.1", 200)
        record = logging.LogRecord(
            "uvicorn.access", logging.INFO, "h11_impl.py", 1, '%s - "%s %s HTTP/%s" %d', args, None
        )
        AccessLogPaths().filter(record)
        return record.getMessage()

    signed = "/wecom/default?msg_signature=5c1e&timestamp=1795000000&nonce=6c2d"
    assert access(signed) == '203.0.113.7:5123 - "POST /wecom/default HTTP/1.1" 200'
    assert access("/calendar/kX3_p-Q9zA1b.ics") == '203.0.113.7:5123 - "POST /calendar/***.ics HTTP/1.1" 200'


def test_log_level_comes_from_the_logging_table_or_the_older_setting() -> None:
    assert Settings().serve_log_level == "INFO"
    assert Settings(log_level="debug").serve_log_level == "DEBUG"
    assert Settings(log_level="debug", logging={"level": "warning"}).serve_log_level == "WARNING"
    with pytest.raises(ValidationError, match=r"logging\.level"):
        Settings(logging={"level": "loud"})
    with pytest.raises(ValidationError, match=r"logging\.format"):
        Settings(logging={"format": "xml"})


def test_a_verbose_short_command_shows_the_robot_post_without_its_key(cli_env: Path) -> None:
    api = RobotApi(keys={"robot-key-0002"}, now=time.time)
    with serve(api.app()) as base:
        (cli_env / "zhibu.toml").write_text(
            f'[robot.branch1]\nwebhook_key = "robot-key-0002"\nbase_url = "{base}"\n', encoding="utf-8"
        )
        result = CliRunner().invoke(app, ["-v", "robots", "test", "branch1"])
    assert result.exit_code == 0, result.output
    assert api.delivered
    assert "/cgi-bin/webhook/send?key=*** " in result.output
    assert "robot-key-0002" not in result.output
