"""Process-wide test settings: fake credentials, one region, table names matching tests/support/aws.py; the SSR
stack's fixtures (tests/support/ssr_stack.py) and the OpenSolar sync's (tests/support/opensolar_stack.py)."""

from __future__ import annotations

import os

from tests.support.aws import TABLE_ENV

pytest_plugins = ["tests.support.ssr_stack", "tests.support.opensolar_stack"]

os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "SolarBackbone",
        "POWERTOOLS_SERVICE_NAME": "solar-backbone",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
for _logical_id, _variable in TABLE_ENV.items():
    os.environ[_variable] = _logical_id
