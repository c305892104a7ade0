"""FakeOpenSolar: the fake organisation served over HTTP from a background thread, with its Python control API."""

from __future__ import annotations

import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from local.opensolar_fake.app import create_app
from local.opensolar_fake.state import FakeOrg


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request (tests make thousands); errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class FakeOpenSolar(FakeOrg):
    """A fake OpenSolar org and its HTTP server.

    >>> fake = FakeOpenSolar(org_id=1001, username="api@example.com", password="secret-pw")
    >>> base_url = fake.start(host="127.0.0.1", port=0)  # doctest: +SKIP
    >>> fake.stop()  # doctest: +SKIP
    """

    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread (port 0 picks a free one) and start the webhook worker; the base URL."""
        if self._server is not None:
            raise RuntimeError(f"the fake OpenSolar is already serving at {self.base_url}")
        server = make_server(host, port, create_app(self), threaded=True, request_handler=_QuietRequestHandler)
        self.base_url = f"http://{host}:{server.server_port}"
        self.queue.start()
        # A short poll interval keeps stop() quick; serve_forever checks for shutdown once per interval.
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="opensolar-fake-http", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread
        return self.base_url

    def stop(self) -> None:
        """Stop serving, join the server thread and the delivery worker; calling it twice is harmless."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()
        self.queue.stop()

    def __enter__(self) -> FakeOpenSolar:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
