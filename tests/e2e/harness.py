"""Running real ``zhibu serve`` processes for end-to-end and fault tests.

Each process is the installed CLI in its own subprocess (so ``kill -9`` is real), with
its own loopback port, configured only through the environment, and with its output
in a log file the test can show when something goes wrong.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

READY_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServeProcess:
    """One ``zhibu serve`` on 127.0.0.1; ``kill()`` is SIGKILL, ``stop()`` a polite SIGTERM."""

    def __init__(self, name: str, env: Mapping[str, str], workdir: Path, options: Sequence[str] = ()) -> None:
        self.name = name
        self.options = list(options)  # before the command, e.g. ["-v"]
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{name}.log"
        self._env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
        self._workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ServeProcess:
        log = self.log_path.open("ab")
        zhibu = str(Path(sys.executable).parent / "zhibu")
        cmd = [zhibu, *self.options, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            cmd, env=self._env, cwd=self._workdir, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        return self

    def wait_ready(self, timeout: float = READY_SECONDS) -> ServeProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {timeout}s:\n{self.log()}")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9: no cleanup, no goodbye, as when a machine dies."""
        if self.alive:
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.alive:
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return (
            self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]
            if self.log_path.exists()
            else ""
        )


@contextmanager
def serving(procs: list[ServeProcess]) -> Iterator[list[ServeProcess]]:
    """Start ``procs`` and wait until each answers /healthz; all are killed afterwards."""
    with ExitStack() as stack:
        for proc in procs:
            stack.callback(proc.kill)
            proc.start()
        for proc in procs:
            proc.wait_ready()
        yield procs


def wait_for(condition: Callable[[], object], timeout: float, what: str, step: float = 0.1) -> None:
    """Poll ``condition()`` until true; a bounded wait for other processes, never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
