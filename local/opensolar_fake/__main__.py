"""Run the fake OpenSolar in the foreground: `python -m local.opensolar_fake --port 8765`; SIGINT/SIGTERM stop it."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from local.opensolar_fake.api.auth import DEFAULT_TOKEN_LIFETIME_S
from local.opensolar_fake.server import FakeOpenSolar


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local.opensolar_fake", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (printed on start)")
    parser.add_argument("--org-id", type=int, default=1001)
    parser.add_argument("--username", default="api@example.com")
    parser.add_argument("--password", default="secret-pw")
    parser.add_argument("--write-limit", type=int, default=10, help="project writes per minute per user")
    parser.add_argument("--read-limit", type=int, default=100, help="project reads per minute per user")
    parser.add_argument("--daily-limit", type=int, default=10_000, help="calls per day per organisation")
    parser.add_argument("--token-lifetime-s", type=float, default=DEFAULT_TOKEN_LIFETIME_S)
    parser.add_argument("--retry-after", action="store_true", help="send Retry-After on 429 (the real API does not)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    fake = FakeOpenSolar(
        org_id=args.org_id,
        username=args.username,
        password=args.password,
        write_limit_per_minute=args.write_limit,
        read_limit_per_minute=args.read_limit,
        daily_limit=args.daily_limit,
        token_lifetime_s=args.token_lifetime_s,
        retry_after=args.retry_after,
    )
    stopping = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    base_url = fake.start(host=args.host, port=args.port)
    print(f"fake OpenSolar for org {args.org_id} listening on {base_url}", flush=True)
    try:
        while not stopping.wait(0.2):
            pass
    finally:
        fake.stop()
    print("fake OpenSolar stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
