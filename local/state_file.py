"""`.local/stack.json`: how other processes (tests, `invoke`, the demo) find the running stack."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from local.aws.template import ROOT

DEFAULT_STATE_FILE = ROOT / ".local" / "stack.json"


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write atomically, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True, default=str))
    os.replace(partial, path)


def read_state(path: Path) -> dict[str, Any]:
    """The running stack's state; a clear error if none is running."""
    if not path.is_file():
        raise FileNotFoundError(f"no local stack is running ({path} is missing): start one with `python -m local up`")
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def remove_state(path: Path) -> None:
    """Forget the stack (it has stopped)."""
    path.unlink(missing_ok=True)


def console_link(state: dict[str, Any]) -> str:
    """The operator console, signed in with the stack's staff token (in the fragment: never sent to a server)."""
    return f"{state['console_url']}#token={state['staff_token']}"
