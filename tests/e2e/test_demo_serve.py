"""`zhibu demo --serve` as its own process: a printed login link opens the console, Ctrl-C ends it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from storage.demo import OFFICE, TOP
from tests.e2e.harness import free_port, wait_for

pytestmark = pytest.mark.e2e


def test_demo_serve_prints_links_that_open_the_console_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, log = free_port(), tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIBU_")}
    env.update(ZHIBU_DATA_DIR=str(tmp_path), ZHIBU_CONFIG=str(tmp_path / "none.toml"), PYTHONUNBUFFERED="1")
    zhibu = str(Path(sys.executable).parent / "zhibu")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [zhibu, "demo", "--serve", "--port", str(port)], env=env, cwd=tmp_path, stdout=out, stderr=out
        )
    try:
        links: list[str] = []

        def organizer_link() -> bool:
            text = log.read_text(encoding="utf-8", errors="replace")
            links[:] = re.findall(rf"苏文（组织委员）: (http://127\.0\.0\.1:{port}/console/login/\S+)", text)
            return bool(links) and "Application startup complete" in text

        wait_for(organizer_link, 60, "the demo server and its login links")
        with httpx.Client(timeout=10, follow_redirects=True) as client:
            confirm = client.get(links[0])
            assert confirm.status_code == 200 and "确认登录" in confirm.text
            overview = client.post(links[0])
        assert overview.status_code == 200 and overview.url.path == "/console/"
        assert "组织生活落实情况" in overview.text and OFFICE in overview.text and TOP in overview.text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, log.read_text(encoding="utf-8", errors="replace")[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
