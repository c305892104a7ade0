"""ConsoleFunction: the operator console's files and sign-in settings, as API Gateway hands it their routes (with or
without a stage in the path), and AWS's own sample event."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.support.ssr_stack import EVENTS, invoke


def get(path: str) -> dict[str, Any]:
    event = json.loads((EVENTS / "aws" / "apigateway_http_api_proxy.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = "GET"
    answer: dict[str, Any] = invoke("console", event)
    return answer


@pytest.mark.parametrize("stage", ["", "/dev"])
def test_the_page_its_style_and_script_are_served_with_a_strict_policy(stage: str) -> None:
    page, style, script = (
        get(f"{stage}/console/"),
        get(f"{stage}/console/console.css"),
        get(f"{stage}/console/console.js"),
    )
    assert page["statusCode"] == style["statusCode"] == script["statusCode"] == 200
    assert page["headers"]["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="console.js">' in page["body"]
    assert style["headers"]["content-type"].startswith("text/css")
    assert script["headers"]["content-type"].startswith("text/javascript")
    policy = page["headers"]["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe" not in policy
    assert page["headers"]["cache-control"] == "no-cache"
    # nothing is fetched from another host: every src and href is the page's own (or an empty data: icon)
    assert "http" not in page["body"].replace('href="data:,"', "")


STATIC = Path(__file__).resolve().parents[2] / "functions" / "console" / "static"
IMPORT = re.compile(r"""^import\s[^;]*?from\s+"([^"]+)";?$""", re.MULTILINE | re.DOTALL)


def test_every_module_the_script_imports_is_served_from_the_page_and_none_is_left_over() -> None:
    # given the page's script, when its imports are followed module by module through the function
    seen: set[str] = set()
    waiting = ["console.js"]
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        module = get(f"/console/{name}")
        assert module["statusCode"] == 200, name
        assert module["headers"]["content-type"].startswith("text/javascript")
        assert module["headers"]["cache-control"] == "no-cache"  # two releases' modules never mix
        for specifier in IMPORT.findall(module["body"]):
            # then every import is a file beside the page (same origin, no CDN, no bare package name)
            assert re.fullmatch(r"\./[\w-]+\.js", specifier), (name, specifier)
            waiting.append(specifier.removeprefix("./"))
    # and every module in static/ is reached: no file is served that the page never loads
    assert seen == {path.name for path in STATIC.glob("*.js")}
    assert len(seen) > 1


def test_the_console_without_its_slash_is_sent_to_it_so_relative_links_resolve() -> None:
    answer = get("/dev/console")
    assert (answer["statusCode"], answer["headers"]["location"]) == (308, "/dev/console/")


def test_the_sign_in_settings_name_the_staff_client_and_cognito_in_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STAFF_USER_POOL_CLIENT_ID", "1example23456789")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    answer = get("/dev/console/config.json")
    assert json.loads(answer["body"]) == {
        "client_id": "1example23456789",
        "cognito_endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
    }
    assert "https://cognito-idp.eu-west-1.amazonaws.com/" in answer["headers"]["content-security-policy"]


@pytest.mark.parametrize("path", ["/console/app.py", "/console/../app.py", "/consoles/", "/path/to/resource"])
def test_anything_else_is_a_plain_404(path: str) -> None:
    answer = get(path)
    assert (answer["statusCode"], answer["body"]) == (404, "Not found.")
