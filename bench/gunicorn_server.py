"""A gunicorn on loopback for the HTTP load (``load.py``): ours or the minimal endpoint, started
and stopped by the bench only."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


class Server:
    """One gunicorn on loopback, started and stopped by this script only."""

    def __init__(self, name: str, target: str, env: dict[str, str], workers: int, threads: int,
                 chdir: Path, log: Path) -> None:
        self.name = name
        with socket.socket() as sock:  # a free port on loopback
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread",
               "--threads", str(threads), "-b", f"127.0.0.1:{self.port}", "--chdir", str(chdir),
               "--log-level", "warning", "--graceful-timeout", "5", target]
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env, "PORT": str(self.port)},
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} server exited; see {self.log.name}")
            try:
                requests.get(self.base + "/", timeout=5)
                return
            except requests.RequestException:  # not listening yet, or workers still booting
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} server did not start in {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # the gunicorn master stops its own workers
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()
