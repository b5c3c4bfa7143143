"""Account tables are checked at start-up, and a mistake names its key."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from bot.channels._callback import load_accounts
from bot.channels.wechat import WeChatAccount
from bot.channels.wecom import WeComAccount
from bot.core.errors import Misconfigured
from bot.runtime import build_runtime
from bot.settings import Settings
from tests.bot.callbacks import wechat_table, wecom_table


@pytest.mark.parametrize(
    ("section", "table", "key", "reason"),
    [
        (
            "wechat",
            wechat_table(safe=True, encoding_aes_key="short"),
            "wechat.default.encoding_aes_key",
            "must be 43 characters",
        ),
        ("wechat", wechat_table(safe=False, app_id="gh_123"), "wechat.default.app_id", "must start with wx"),
        (
            "wechat",
            wechat_table(safe=False, token="x"),
            "wechat.default.token",
            "must be 3 to 32 letters or digits",
        ),
        (
            "wechat",
            wechat_table(safe=False, encoding_aes_kye="A" * 43),
            "wechat.default.encoding_aes_kye",
            "Extra inputs",
        ),
        ("wechat", {"token": "abcdef"}, "wechat.default.app_id", "Field required"),
        ("wecom", wecom_table(agent_id="abc"), "wecom.default.agent_id", "valid integer"),
        ("wecom", wecom_table(api_base_url="ftp://x"), "wecom.default.api_base_url", "must start with http"),
    ],
)
def test_a_bad_table_names_the_key(section: str, table: dict[str, Any], key: str, reason: str) -> None:
    model = WeChatAccount if section == "wechat" else WeComAccount
    with pytest.raises(Misconfigured) as caught:
        load_accounts(section, {"default": table}, model)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ") and reason in caught.value.reason


def test_a_blank_aes_key_means_plaintext_mode() -> None:
    accounts = load_accounts(
        "wechat", {"default": wechat_table(safe=False, encoding_aes_key="")}, WeChatAccount
    )
    assert accounts["default"].encoding_aes_key is None
    assert "oa-secret" not in repr(accounts["default"])  # secrets stay out of logs


def test_the_runtime_refuses_to_start_with_a_bad_account(db_url: str, engine: Engine) -> None:
    settings = Settings(database_url=db_url, wecom={"default": wecom_table(encoding_aes_key="x" * 42)})
    with pytest.raises(Misconfigured, match=r"^wecom\.default\.encoding_aes_key: must be 43 characters$"):
        build_runtime(settings, engine=engine)


def test_accounts_come_from_the_environment_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "zhibu.toml").write_text(
        '[wechat.default]\napp_id = "wx1234567890abcdef"\ntoken = "fromFile1"\n'
    )
    monkeypatch.setenv("ZHIBU_WECHAT__DEFAULT__TOKEN", "fromEnv42")
    monkeypatch.setenv("ZHIBU_WECOM__BRANCH__AGENT_ID", "1000002")
    dotenv = "ZHIBU_ROBOT__BRANCH2__WEBHOOK_KEY=fromDotEnv\nZHIBU_WECOM__BRANCH__SECRET=s1\n"
    (tmp_path / ".env").write_text(dotenv)
    settings = Settings()
    assert settings.channels["wechat"]["default"] == {"app_id": "wx1234567890abcdef", "token": "fromEnv42"}
    account = load_accounts("wechat", settings.channels["wechat"], WeChatAccount)["default"]
    assert account.token.get_secret_value() == "fromEnv42"
    assert settings.channels["wecom"]["branch"] == {"agent_id": "1000002", "secret": "s1"}
    assert settings.channels["robot"]["branch2"] == {"webhook_key": "fromDotEnv"}


def test_start_up_warns_about_each_plaintext_account_and_recommends_safe_mode(
    db_url: str, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    tables = {
        "branch1": wechat_table(safe=False),
        "branch2": wechat_table(safe=True),
        "branch3": wechat_table(safe=False),
    }
    runtime = build_runtime(Settings(database_url=db_url, wechat=tables), engine=engine)
    runtime.router.close()
    warnings = [
        r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "plaintext" in r.getMessage()
    ]
    assert [w.split()[1].rstrip(":") for w in warnings] == ["branch1", "branch3"]
    assert all("安全模式" in w and "encoding_aes_key" in w for w in warnings)
    assert not any("oa-secret" in r.getMessage() or "zhibuToken1" in r.getMessage() for r in caplog.records)
