"""A real ``zhibu serve``: uvicorn runs with its request limits, a forged callback is refused before its
body is read, and start-up warns about a 公众号 still in plaintext mode.

The slow-client deadlines themselves are tested with shortened timers in tests/bot/test_slow_clients.py.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

from bot.core.clock import SHANGHAI
from tests.bot.callbacks import OA_AES, OA_APP_ID, OA_TOKEN, text_xml, wechat_post
from tests.e2e.harness import ServeProcess, serving
from tests.raw_http import connect, head, oversized_head, read_response

pytestmark = pytest.mark.e2e


def _env(workdir: Path, db_url: str) -> dict[str, str]:
    config = workdir / "zhibu.toml"
    account = f'app_id = "{OA_APP_ID}"\ntoken = "{OA_TOKEN}"\n'
    config.write_text(
        f"[schedules]\nenabled = false\n\n[wechat.plain]\n{account}\n[wechat.safe]\n{account}"
        f'encoding_aes_key = "{OA_AES}"\n',
        encoding="utf-8",
    )
    return {"ZHIBU_CONFIG": str(config), "ZHIBU_DATABASE_URL": db_url, "ZHIBU_DATA_DIR": str(workdir)}


def test_serve_limits_heads_checks_the_query_first_and_warns_about_plaintext(
    db_url: str, tmp_path: Path
) -> None:
    with serving([ServeProcess("serve", _env(tmp_path, db_url), tmp_path)]) as (proc,):
        answer = oversized_head(proc.port)
        assert answer.startswith(b"HTTP/1.1 431 "), (answer[:80], proc.log())

        now = datetime.now(SHANGHAI)
        signed = wechat_post(text_xml("o-e2e", "帮助", 6001, int(now.timestamp())), now, safe=False)
        with connect(proc.port) as sock:  # a declared body that never comes: the forged signature is enough
            sock.settimeout(4.0)  # under the five-second body deadline
            sock.sendall(head("POST", "/wechat/plain", {**signed.params, "signature": "0" * 40}, length=1000))
            assert read_response(sock).startswith(b"HTTP/1.1 403 ")

        url = f"{proc.base_url}/wechat/plain"
        response = httpx.post(url, params=signed.params, content=signed.body, timeout=10)
        assert response.status_code == 200 and "支部助手" in response.text
        log = proc.log()
    warnings = [line for line in log.splitlines() if "plaintext mode" in line]
    assert len(warnings) == 1 and "wechat plain" in warnings[0] and "安全模式" in warnings[0], log
