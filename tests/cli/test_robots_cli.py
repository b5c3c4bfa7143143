"""`zhibu robots`: bind a group robot to a branch, list, and post a test message to a fake webhook."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.core.messages import Target
from storage.audience import chats_of
from storage.db import make_engine, session_scope
from storage.models import OrgKind
from storage.orgs import get_or_create
from tests.fakes.dingtalk_api import DingTalkRobotApi
from tests.fakes.feishu_api import FeishuRobotApi
from tests.fakes.robot_api import RobotApi
from tests.fakes.serve import serve

runner = CliRunner()
KEY = "robot-key-0001"


def _configure(workdir: Path, base_url: str, key: str = KEY) -> None:
    (workdir / "zhibu.toml").write_text(
        f'[robot.branch1]\nwebhook_key = "{key}"\nbase_url = "{base_url}"\n', encoding="utf-8"
    )


def _branch(db_url: str) -> int:
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        top, _ = get_or_create(session, name="幸福街道党工委", kind=OrgKind.WORKING_COMMITTEE, parent_id=None)
        branch, _ = get_or_create(session, name="第一党支部", kind=OrgKind.BRANCH, parent_id=top.id)
        branch_id = branch.id or 0
    engine.dispose()
    return branch_id


def test_bind_then_broadcasts_reach_the_robot(cli_env: Path, db_url: str) -> None:
    branch_id = _branch(db_url)
    _configure(cli_env, "http://127.0.0.1:9")
    result = runner.invoke(app, ["robots", "bind", "branch1", "第一党支部"])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["robots", "bind", "branch1", "幸福街道党工委/第一党支部"])
    assert again.exit_code == 0, again.output
    engine = make_engine(db_url)
    with Session(engine) as session:
        assert chats_of(session, [branch_id]) == [Target("robot", "branch1", "branch1", is_group=True)]
    engine.dispose()
    listed = runner.invoke(app, ["robots", "list"])
    assert "robot.branch1（企业微信群机器人） → 第一党支部" in listed.output


def test_an_unknown_robot_or_organization_is_a_clear_error(cli_env: Path, db_url: str) -> None:
    _branch(db_url)
    _configure(cli_env, "http://127.0.0.1:9")
    unknown = runner.invoke(app, ["robots", "bind", "nosuch", "第一党支部"])
    assert unknown.exit_code != 0 and "nosuch" in unknown.output and "robot.branch1" in unknown.output
    no_org = runner.invoke(app, ["robots", "bind", "branch1", "第九党支部"])
    assert no_org.exit_code != 0 and "第九党支部" in no_org.output


def test_the_test_command_posts_and_reports_a_bad_key(cli_env: Path) -> None:
    api = RobotApi(keys={KEY}, now=lambda: datetime.now(UTC).timestamp())
    with serve(api.app()) as base_url:
        _configure(cli_env, base_url)
        ok = runner.invoke(app, ["robots", "test", "branch1"])
        assert ok.exit_code == 0, ok.output
        assert len(api.contents()) == 1 and "支部助手" in api.contents()[0]
        _configure(cli_env, base_url, key="wrong-key-123")
        bad = runner.invoke(app, ["robots", "test", "branch1"])
    assert bad.exit_code != 0 and "93000" in bad.output and "wrong-key-123" not in bad.output


def test_dingtalk_and_feishu_robots_bind_list_and_post_signed(cli_env: Path, db_url: str) -> None:
    branch_id = _branch(db_url)
    now = lambda: datetime.now(UTC).timestamp()  # noqa: E731
    dingtalk, feishu = (
        DingTalkRobotApi({"dt-token-0001": "SEC-dt-secret"}, now),
        FeishuRobotApi({"fs-hook-0001": "fs-secret"}, now),
    )
    with serve(dingtalk.app()) as dt_url, serve(feishu.app()) as fs_url:
        (cli_env / "zhibu.toml").write_text(
            f'[dingtalk_robot.branch1]\naccess_token = "dt-token-0001"\nsecret = "SEC-dt-secret"\nbase_url = "{dt_url}"\n'  # noqa: E501
            f'[feishu_robot.district]\nhook_id = "fs-hook-0001"\nsecret = "fs-secret"\nbase_url = "{fs_url}"\n',  # noqa: E501
            encoding="utf-8",
        )
        assert runner.invoke(app, ["robots", "test", "branch1"]).exit_code == 0
        assert runner.invoke(app, ["robots", "test", "feishu_robot.district"]).exit_code == 0
        bound = runner.invoke(app, ["robots", "bind", "dingtalk_robot.branch1", "第一党支部"])
    assert bound.exit_code == 0 and "钉钉自定义机器人" in bound.output, bound.output
    assert "支部助手" in dingtalk.bodies()[0]["text"]["content"]  # the fake checked the 加签 signature
    assert "支部助手" in feishu.bodies()[0]["content"]["text"]
    engine = make_engine(db_url)
    with Session(engine) as session:
        assert chats_of(session, [branch_id]) == [
            Target("dingtalk_robot", "branch1", "branch1", is_group=True)
        ]
    engine.dispose()
    listed = runner.invoke(app, ["robots", "list"]).output
    assert "dingtalk_robot.branch1（钉钉自定义机器人） → 第一党支部" in listed
    assert "feishu_robot.district（飞书自定义机器人） → 未绑定" in listed
