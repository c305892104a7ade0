"""What this stack's SES and SNS sent, read from moto's backends in this process (`readback_url` in stack.json):
`GET /emails` → `[{source, destinations, subject, body}]`, `GET /notices?topic=<arn>` → `[{subject, message,
attributes}]`, and `GET /aws-faults` → the AWS faults injected so far, when the stack injects them.
`/moto-api/data.json` says the same but serialises every backend, every DynamoDB item included,
which takes minutes once a soak has filled the tables."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from local.aws.moto_server import ACCOUNT_ID


def sent_emails(region: str) -> list[dict[str, Any]]:
    from moto.ses.models import ses_backends

    return [
        {"source": m.source, "destinations": m.destinations, "subject": m.subject, "body": m.body}
        for m in list(ses_backends[ACCOUNT_ID][region].sent_messages)
        if hasattr(m, "subject")
    ]


def sent_notices(region: str, topic_arn: str) -> list[dict[str, Any]]:
    from moto.sns.models import sns_backends

    topic = sns_backends[ACCOUNT_ID][region].topics.get(topic_arn)
    sent = list(topic.sent_notifications) if topic is not None else []
    return [
        {"subject": subject, "message": message, "attributes": attributes or {}}
        for _, message, subject, attributes, _ in sent
    ]


class ReadbackServer:
    """Serves the two reads on a free port in a background thread."""

    def __init__(
        self, region: str, host: str = "127.0.0.1", reports: Mapping[str, Callable[[], Any]] | None = None
    ) -> None:
        self._region = region
        self._reports = dict(reports or {})  # path → what it answers (e.g. `/aws-faults`: the faults injected)
        self._server: BaseWSGIServer = make_server(host, 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="readback", daemon=True)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/emails":
            body: Any = sent_emails(self._region)
        elif request.path == "/notices":
            body = sent_notices(self._region, request.args.get("topic", ""))
        elif request.path in self._reports:
            body = self._reports[request.path]()
        else:
            return Response("not found", status=404)(environ, start_response)
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)

    def start(self) -> str:
        self._thread.start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
