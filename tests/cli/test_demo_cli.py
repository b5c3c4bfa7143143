from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from starlette.applications import Starlette
from typer.testing import CliRunner

from bot.cli import app
from bot.core.clock import SHANGHAI, SystemClock
from bot.web import pages
from bot.web.config import ConsoleConfig
from storage.db import make_engine
from tests.fakes.serve import serve

runner = CliRunner()


def flat(output: str) -> str:
    """The printed text without the panel frames and line wrapping."""
    return re.sub(r"[\s│╭╮╰╯─]", "", output)


def test_demo_builds_a_fresh_database_and_chats_as_the_first_secretary(cli_env: Path) -> None:
    db = cli_env / "zhibu-demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db)], input="我的政治生日\n本月安排\n")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert "林晓红" in text and "政治生日快乐" in text  # her birthday is today, always
    assert "会议安排" in text and "支委会" in text
    again = runner.invoke(app, ["demo", "--db", str(db), "--no-chat"])
    assert again.exit_code == 0 and "42名虚构党员" in flat(again.output)  # rebuilt, not doubled


def test_fast_forward_shows_what_the_bot_sends_into_the_branch_group(cli_env: Path) -> None:
    result = runner.invoke(app, ["demo", "--group"], input="/快进 明天09:00\nq\n")
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    guide = text.index("群消息·组织生活清单")  # this month's, or next month's on a month's last evening
    # The day-before reminder is due at 09:00; started after 22:00 it waits out the quiet hours to 08:00
    said = "今天" if datetime.now(SHANGHAI).hour >= 22 else "明天"
    reminder = text.index(f"群消息·会议提醒【会议提醒】{said}15:00召开支部党员大会")
    greeting = text.index("群消息·政治生日祝福【政治生日】今天是梁宇同志的政治生日")
    assert guide < greeting and reminder < greeting  # in the order they went out: the greeting at 09:00
    assert "私聊·会议提醒【会议提醒】明天15:00召开支委会" in text  # committee members hear privately
    assert "另有2条消息发到了其他群或党员" in text  # the other two branches' groups got their guide
    assert "已快进到" in text and "09:00" in text


def test_a_broadcast_confirmed_in_chat_arrives_in_the_group(cli_env: Path) -> None:
    said = "发布 周五下午3点开支部党员大会，请准时参加。\n确认发送\n/群\n/私聊\n"
    result = runner.invoke(app, ["demo"], input=said)
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert text.index("已排队发送到1个群") < text.index("群消息·通知周五下午3点开支部党员大会")
    assert "已进入“街道机关党支部”群" in text and "你（街道机关党支部群）>" in text
    assert "已回到和支部助手的私聊" in text


def test_at_fast_forwards_before_the_chat_and_refuses_the_past(cli_env: Path) -> None:
    tomorrow = datetime.now(SHANGHAI) + timedelta(days=1)
    result = runner.invoke(app, ["demo", "--no-chat", "--at", f"{tomorrow:%Y-%m-%d} 09:30"])
    assert result.exit_code == 0, result.output
    assert "群消息·政治生日祝福" in flat(result.output) and "梁宇" in result.output
    past = runner.invoke(app, ["demo", "--no-chat", "--at", "2020-01-01 09:00"])
    assert past.exit_code == 2 and "只能往后快进" in past.output


def test_the_demo_says_how_later_commands_find_it(cli_env: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ZHIBU_DATABASE_URL")
    built = runner.invoke(app, ["demo", "--no-chat"])
    line = next(row.strip() for row in built.output.splitlines() if "export ZHIBU_DATABASE_URL=" in row)
    lost = runner.invoke(app, ["members", "list"])
    assert lost.exit_code == 5 and "no database at" in lost.output and flat(line) in flat(lost.output)
    assert not (cli_env / "zhibu.db").exists()
    monkeypatch.setenv("ZHIBU_DATABASE_URL", line.removeprefix("export ZHIBU_DATABASE_URL="))
    found = runner.invoke(app, ["members", "list", "--org", "街道机关党支部"])
    assert found.exit_code == 0 and "林晓红" in found.output


def test_demo_can_act_as_another_member_and_ends_on_quit(cli_env: Path) -> None:
    result = runner.invoke(app, ["demo", "--as", "朱婷"], input="我的党龄\nq\n这行不会读到\n")
    assert result.exit_code == 0, result.output
    assert "预备党员" in flat(result.output) and (cli_env / "zhibu-demo.db").exists()
    assert "邀请" not in result.output and "书记帮助" not in result.output  # nothing she may not do
    assert "书记帮助" in flat(runner.invoke(app, ["demo", "--as", "林晓红"], input="q\n").output)


def test_demo_never_overwrites_a_database_that_is_not_a_demo(cli_env: Path) -> None:
    precious = cli_env / "zhibu.db"
    precious.write_bytes(b"real data")
    result = runner.invoke(app, ["demo", "--db", str(precious), "--no-chat"])
    assert result.exit_code == 2 and precious.read_bytes() == b"real data"


def test_a_guide_typed_over_several_lines_is_published_and_shown_a_field_a_line(cli_env: Path) -> None:
    said = (
        "发布清单\n## 读书分享\n- 内容：每人读一本党史书\n- 形式：党小组会\n\n## 走访群众\n- 内容：走访困难党员\n"  # noqa: E501
        "/发送\n本月清单\n发布清单\n# 2020年1月组织生活清单\n## 学习\n- 内容：学习党章\n/发送\n"
    )
    result = runner.invoke(app, ["demo"], input=said)
    assert result.exit_code == 0, result.output
    text = flat(result.output)
    assert (
        "单独一行输入/发送结束" in text and "组织生活清单（2项），将在几分钟内发送到本支部已绑定的群" in text
    )
    lines = [line.strip("│ ") for line in result.output.splitlines()]
    assert "内容：每人读一本党史书" in lines and "形式：党小组会" in lines  # not run together on one line
    assert "标题“2020年1月组织生活清单”写的是2020年1月" in text  # a title for another month is refused


def test_demo_prints_console_links_for_the_secretary_and_the_district_organizer(cli_env: Path) -> None:
    db = cli_env / "zhibu-demo.db"
    result = runner.invoke(app, ["demo", "--db", str(db), "--no-chat"])
    assert result.exit_code == 0, result.output
    link = r"(林晓红|苏文)（[^）]+）: (http://127\.0\.0\.1:8000/console/login/\w+)"
    printed = re.findall(link, result.output)
    links = dict(printed)
    assert set(links) == {"林晓红", "苏文"}
    engine = make_engine(f"sqlite:///{db}")
    app_ = Starlette(routes=pages.routes(engine, SystemClock(SHANGHAI), ConsoleConfig()))
    with serve(app_) as base, httpx.Client(base_url=base, follow_redirects=True, timeout=10) as client:
        overview = client.post(links["苏文"].replace("http://127.0.0.1:8000", base))
    engine.dispose()
    assert overview.url.path == "/console/" and "离退休干部党支部" in overview.text  # every branch below
