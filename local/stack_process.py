"""`python -m local up` as a child process on free ports: used by the demo and the e2e tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from local.aws.template import ROOT
from local.state_file import read_state


class StackProcess:
    """Start a stack in a subprocess, wait for its state file, stop it with SIGTERM."""

    def __init__(
        self,
        state_file: Path,
        log_file: Path,
        extra_args: tuple[str, ...] = (),
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.state_file = state_file
        self.log_file = log_file
        self._extra_args = extra_args
        self._extra_env = extra_env or {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, timeout_s: float = 60) -> dict[str, Any]:
        """Start and return the parsed stack.json once it is written."""
        command = [sys.executable, "-m", "local", "up", "--api-port", "0", "--state-file", str(self.state_file)]
        self._log = self.log_file.open("wb")
        environment = {**os.environ, **self._extra_env}
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments, no shell
            [*command, *self._extra_args], cwd=ROOT, env=environment, stdout=self._log, stderr=self._log
        )
        deadline = time.monotonic() + timeout_s
        while not self.state_file.is_file():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local stack did not start; its log:\n{self.log_tail()}")
            time.sleep(0.1)
        return read_state(self.state_file)

    def stop(self, timeout_s: float = 30) -> int:
        """SIGTERM and wait; returns the exit code (killed after `timeout_s`: -9)."""
        if self._process is None:
            return 0
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._log is not None:
            self._log.close()
        return self._process.returncode

    def log_tail(self, lines: int = 40) -> str:
        """The end of the stack's log."""
        if not self.log_file.is_file():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
