"""A real `zhibu -v serve` logs everything at DEBUG, as JSON lines, and not one secret.

The process fetches 公众号 and WeCom access tokens (the AppSecret and corpsecret travel in
the URL urllib3 logs), posts to a WeCom robot (key= in the URL httpx logs), long-polls
and answers on Telegram (the bot token is in every Bot API path), answers signed
callbacks and serves a calendar feed (uvicorn's access log). The platforms are fakes
on loopback; everything the process writes is searched for every secret it knew or saw.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import Engine

from bot.core.clock import SHANGHAI
from bot.core.messages import Reply, Target
from storage import bindcodes
from storage.calendar_feeds import token_for
from storage.db import session_scope
from storage.models import Organization, OrgKind
from storage.outbox import enqueue
from tests.bot.callbacks import (
    AGENT_ID,
    OA_AES,
    OA_APP_ID,
    OA_TOKEN,
    WORK_AES,
    WORK_TOKEN,
    text_xml,
    wechat_post,
    wecom_post,
)
from tests.bot.test_telegram import TOKEN as BOT_TOKEN
from tests.bot.test_telegram import update
from tests.e2e.harness import ServeProcess, serving, wait_for
from tests.fakes.robot_api import RobotApi
from tests.fakes.serve import serve
from tests.fakes.telegram_api import TelegramApi
from tests.fakes.wechat_api import FakeWeChatApi

pytestmark = pytest.mark.e2e

APP_SECRET = "oa-AppSecret-7f3c9d"
CORP_SECRET = "wecom-corpsecret-2b8e41"
ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
ADMIN_TOKEN = "admin-token-5d1f0c"


@dataclass
class Platforms:
    wechat: FakeWeChatApi
    robot: RobotApi
    telegram: TelegramApi
    wechat_base: str
    robot_base: str
    telegram_base: str


@pytest.fixture
def platforms() -> Iterator[Platforms]:
    wechat, robot, telegram = (
        FakeWeChatApi(),
        RobotApi(keys={ROBOT_KEY}, now=time.time),
        TelegramApi(BOT_TOKEN),
    )
    telegram.updates = [update(1, "/help")]
    with (
        serve(wechat.app) as wechat_base,
        serve(robot.app()) as robot_base,
        serve(telegram.app()) as telegram_base,
    ):
        yield Platforms(wechat, robot, telegram, wechat_base, robot_base, telegram_base)


def _config(path: Path, p: Platforms) -> Path:
    path.write_text(
        f"""
[logging]
format = "json"

[schedules]
reminder_every_seconds = 5

[wechat.safe]
app_id = "{OA_APP_ID}"
token = "{OA_TOKEN}"
encoding_aes_key = "{OA_AES}"
app_secret = "{APP_SECRET}"
api_base_url = "{p.wechat_base}/cgi-bin/"

[wecom.default]
corp_id = "ww0123456789abcdef"
agent_id = {AGENT_ID}
secret = "{CORP_SECRET}"
token = "{WORK_TOKEN}"
encoding_aes_key = "{WORK_AES}"
api_base_url = "{p.wechat_base}/cgi-bin/"

[robot.branch1]
webhook_key = "{ROBOT_KEY}"
base_url = "{p.robot_base}"

[telegram.default]
bot_token = "{BOT_TOKEN}"
api_base_url = "{p.telegram_base}"
poll_seconds = 1
""",
        encoding="utf-8",
    )
    return path


def _seed(engine: Engine) -> tuple[str, str]:
    """A delivery for each outbound platform, a branch with a calendar feed; (feed token, binding code)."""
    code = bindcodes.display(
        "".join(secrets.choice(bindcodes.ALPHABET) for _ in range(bindcodes.CODE_LENGTH))
    )
    with session_scope(engine) as session:
        branch = Organization(name="第一党支部", kind=OrgKind.BRANCH)
        session.add(branch)
        session.flush()
        assert branch.id is not None
        feed = token_for(session, org_id=branch.id, now=datetime.now(SHANGHAI))
        for n, target in enumerate(
            [
                Target("wechat", "safe", "o-member-1", False),
                Target("wecom", "default", "zhangsan", False),
                Target("robot", "branch1", "branch1", True),
                Target("telegram", "default", "42", False),
            ]
        ):
            reply = Reply(f"朱婷同志的绑定码：{code}，请转告本人私聊我发送“绑定 {code}”。")
            enqueue(session, target=target, reply=reply, dedupe_key=f"logs:{n}")
    return feed, code


def test_verbose_json_logs_of_a_serving_process_hold_no_secret(
    engine: Engine, db_url: str, platforms: Platforms, tmp_path: Path
) -> None:
    feed, code = _seed(engine)
    env = {
        "ZHIBU_CONFIG": str(_config(tmp_path / "zhibu.toml", platforms)),
        "ZHIBU_DATABASE_URL": db_url,
        "ZHIBU_DATA_DIR": str(tmp_path),
        "ZHIBU_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    proc = ServeProcess("serve", env, tmp_path, options=["-v"])
    signatures: list[str] = []
    with serving([proc]):
        now = datetime.now(SHANGHAI)
        oa = wechat_post(
            text_xml("o-member-1", "帮助", 1001, int(now.timestamp())), now, safe=True, nonce="5a1b"
        )
        work = wecom_post(
            text_xml("zhangsan", "帮助", 1002, int(now.timestamp()), agent=AGENT_ID), now, nonce="6c2d"
        )
        for path, signed in (("/wechat/safe", oa), ("/wecom/default", work)):
            answer = httpx.post(
                f"{proc.base_url}{path}", params=signed.params, content=signed.body, timeout=10
            )
            assert answer.status_code == 200, answer.text
            signatures += [v for k, v in signed.params.items() if k.endswith("signature")]
        assert httpx.get(f"{proc.base_url}/calendar/{feed}.ics", timeout=10).status_code == 200
        wait_for(lambda: len(platforms.wechat.sent()) >= 2, 30, "the 公众号 and WeCom sends")
        wait_for(
            lambda: platforms.robot.delivered and len(platforms.telegram.sent) >= 2, 30, "robot and Telegram"
        )
        wait_for(lambda: "job done job=meeting_reminders" in proc.log(), 30, "a job run")
        proc.stop()
    log = proc.log_path.read_text(encoding="utf-8")

    access_tokens = {
        r.params["access_token"] for r in platforms.wechat.requests if "access_token" in r.params
    }
    assert access_tokens, "the process used access tokens"
    known = {
        "公众号 AppSecret": APP_SECRET,
        "WeCom corpsecret": CORP_SECRET,
        "公众号 callback token": OA_TOKEN,
        "公众号 AES key": OA_AES,
        "WeCom callback token": WORK_TOKEN,
        "WeCom AES key": WORK_AES,
        "Telegram bot token": BOT_TOKEN,
        "Telegram token's secret half": BOT_TOKEN.split(":")[1],
        "robot webhook key": ROBOT_KEY,
        "admin token": ADMIN_TOKEN,
        "calendar feed token": feed,
        "binding code": code,
        **{f"access token {t}": t for t in access_tokens},
        **{f"callback signature {s}": s for s in signatures},
    }
    leaked = [name for name, value in known.items() if value in log or quote(value, safe="") in log]
    assert leaked == [], f"{leaked} in the log"

    lines = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line a JSON object
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in lines)
    messages = [entry["message"] for entry in lines]
    # what -v adds is there, masked: the token fetches, the robot and Bot API URLs, the access log
    assert any("/cgi-bin/token?" in m and "secret=***" in m for m in messages), "公众号 token fetch"
    assert any("/cgi-bin/gettoken?" in m and "corpsecret=***" in m for m in messages), "WeCom token fetch"
    assert any("webhook/send?key=***" in m for m in messages), "robot post"
    assert any("/bot***/sendMessage" in m for m in messages), "Telegram send"
    access = [m for entry, m in zip(lines, messages, strict=True) if entry["logger"] == "uvicorn.access"]
    assert any('"POST /wechat/safe HTTP/1.1" 200' in m for m in access), access
    assert any('"GET /calendar/***.ics HTTP/1.1" 200' in m for m in access), access
    assert any(m.startswith("delivery batch:") for m in messages)
