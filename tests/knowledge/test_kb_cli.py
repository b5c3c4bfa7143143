from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from bot.cli import app
from handlers import texts
from storage.db import session_scope
from storage.orgs import get_or_create

runner = CliRunner()


def _branches(engine: Engine) -> None:
    with session_scope(engine) as session:
        top, _ = get_or_create(session, name="某街道党工委", kind="党工委", parent_id=None)
        get_or_create(session, name="第一党支部", kind="党支部", parent_id=top.id)
        get_or_create(session, name="第二党支部", kind="党支部", parent_id=top.id)


def test_add_search_export_import_delete(cli_env: Path, engine: Engine) -> None:
    _branches(engine)
    added = runner.invoke(
        app,
        [
            "kb",
            "add",
            "--org",
            "第一党支部",
            "--key",
            "room-301",
            "--question",
            "支部会议室在哪里？",
            "--answer",
            "社区服务中心三楼301。",
            "--alt",
            "开会在哪个房间",
            "--keyword",
            "会议室",
        ],
    )
    assert added.exit_code == 0, added.output
    found = runner.invoke(app, ["kb", "search", "会议室在哪", "--org", "第一党支部"])
    assert found.exit_code == 0, found.output
    assert "room-301" in found.output and "会议室" in found.output and "score" in found.output
    other = runner.invoke(app, ["kb", "search", "会议室在哪", "--org", "第二党支部"])
    assert "room-301" not in other.output

    exported = cli_env / "local.yaml"
    result = runner.invoke(app, ["kb", "export", "--org", "第一党支部", "-o", str(exported)])
    assert result.exit_code == 0, result.output
    assert "社区服务中心三楼301" in exported.read_text(encoding="utf-8")
    result = runner.invoke(app, ["kb", "import", str(exported), "--org", "第二党支部"])
    assert result.exit_code == 0, result.output
    assert "room-301" in runner.invoke(app, ["kb", "search", "会议室在哪", "--org", "第二党支部"]).output

    assert runner.invoke(app, ["kb", "delete", "room-301", "--org", "第一党支部"]).exit_code == 0
    assert "room-301" not in runner.invoke(app, ["kb", "search", "会议室在哪", "--org", "第一党支部"]).output


def test_search_says_when_a_chat_command_takes_the_message(cli_env: Path) -> None:
    result = runner.invoke(app, ["kb", "search", "工资8000交多少党费"])
    assert result.exit_code == 0, result.output
    assert "dues" in result.output and "tokens" in result.output


def test_import_csv_with_gbk_and_bad_files(cli_env: Path, engine: Engine) -> None:
    _branches(engine)
    csv_file = cli_env / "entries.csv"
    csv_file.write_bytes(
        "key,question,alternatives,keywords,answer,source\n"
        "dues-collector,党费交给谁？,党费找谁交|谁收党费,党费,组织委员李四每月5日收取。,支委会决定\n".encode(
            "gbk"
        )
    )
    result = runner.invoke(app, ["kb", "import", str(csv_file), "--org", "第一党支部"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output

    broken = cli_env / "broken.yaml"
    broken.write_text("- key: x\n  question: 缺答案\n", encoding="utf-8")
    result = runner.invoke(app, ["kb", "import", str(broken), "--org", "第一党支部"])
    assert result.exit_code != 0 and "answer" in result.output

    unknown = runner.invoke(app, ["kb", "add", "--org", "不存在的支部", "--key", "k", "-q", "q", "-a", "a"])
    assert unknown.exit_code != 0 and "不存在的支部" in unknown.output


def test_ask_batch_prints_one_json_object_per_line_in_order(cli_env: Path) -> None:
    questions = cli_env / "questions.txt"
    questions.write_text("工资8000交多少党费\n\n今天天气怎么样\n退休金6000\n", encoding="utf-8")
    result = runner.invoke(app, ["ask", "--batch", str(questions)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["question"] for r in rows] == ["工资8000交多少党费", "今天天气怎么样", "退休金6000"]
    assert all(set(r) == {"question", "answer", "kind", "score", "entry"} for r in rows)
    assert rows[0]["kind"] == "live" and rows[0]["entry"] == "live:dues" and "120元" in rows[0]["answer"]
    assert rows[1]["kind"] == "fallback"
    assert "60元" in rows[2]["answer"]


def test_ask_needs_a_question_or_a_batch(cli_env: Path) -> None:
    result = runner.invoke(app, ["ask"])
    assert result.exit_code == 2


def test_search_explain_shows_each_reading_and_why(cli_env: Path, engine: Engine) -> None:
    result = runner.invoke(app, ["kb", "search", "三会一棵是什么", "--explain"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "(as typed): 三会一棵是什么" in result.output and "(corrected): 三会一课是什么" in result.output
    assert "判定 / decision: answer" in result.output and "理由 / why: sanhui-yike" in result.output
    reasons = [line for line in result.output.splitlines() if line.startswith("理由 / why:")]
    assert reasons and all(
        any(cn in r for cn in texts.KB_WHY.values()) for r in reasons
    )  # said in Chinese too
