"""The demo's HTTP client: calls the local API, prints each request and answer briefly, checks expectations."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

Check = Callable[[Any], bool]
_SHORT = 160


def short_json(value: Any) -> str:
    """Compact JSON cut to one readable line."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


@dataclass
class DemoApi:
    """Bearer-authenticated calls to the stack's HTTP API; failed expectations are counted, not raised."""

    base_url: str
    token: str
    failures: list[str] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        expect: int = 200,
        check: Check | None = None,
        why: str = "",
        show: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Send, print (`show` picks the part of the answer worth printing), check the status and `check`."""
        print(f"\n→ {method} {path}" + (f"   {short_json(body)}" if body is not None else ""))
        answer = self.session.request(
            method, self.base_url + path, json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
        )
        payload = answer.json() if answer.content else None
        verdict = answer.status_code == expect and (check is None or check(payload))
        shown = show(payload) if show is not None and answer.status_code == expect else payload
        print(f"← {answer.status_code} {short_json(shown) if shown is not None else ''}")
        if not verdict:
            problem = f"{method} {path}: expected {expect}{' and ' + why if why else ''}, got {answer.status_code}"
            self.failures.append(problem)
            print(f"  ✗ {problem}")
        elif why:
            print(f"  ✓ {why}")
        return payload

    def wait_for(self, path: str, until: Check, *, why: str, timeout_s: float = 20) -> Any:
        """Poll `GET path` quietly until it answers 200 and `until(answer)`; print the final answer's status."""
        print(f"\n→ GET {path}   (polling until {why})")
        started = time.monotonic()
        while True:
            answer = self.session.get(
                self.base_url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=30
            )
            payload = answer.json() if answer.content else None
            if answer.status_code == 200 and until(payload):
                print(f"← 200 after {time.monotonic() - started:.1f} s")
                return payload
            if time.monotonic() - started > timeout_s:
                self.verify(False, f"GET {path}: {why} within {timeout_s:g} s (last answer {answer.status_code})")
                return payload
            time.sleep(0.1)

    def verify(self, ok: bool, why: str) -> bool:
        """Print and count an expectation about something other than an HTTP answer (moto's records, timing)."""
        if ok:
            print(f"  ✓ {why}")
        else:
            self.failures.append(why)
            print(f"  ✗ {why}")
        return ok


def heading(title: str) -> None:
    """A section title in the demo's output."""
    print(f"\n=== {title} " + "=" * max(0, 70 - len(title)))
