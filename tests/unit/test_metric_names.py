"""One source of truth for metric names: what template.yaml's alarms and dashboard watch is what the code emits.

The code side is read from the source (every `add_metric` call and every `Metric.X` it can pass), the template side
from its alarms and its dashboard's JSON; a metric named on one side only fails here, before an alarm silently
watches nothing in production.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from local.aws.template import ROOT, load_template, resources_of_type
from solar_core.metric_names import Metric

SOURCES = [*(ROOT / "functions").rglob("*.py"), *(ROOT / "layers").rglob("*.py")]
TEMPLATE = load_template()
GLOBAL_ENV = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
NAMESPACE = GLOBAL_ENV["POWERTOOLS_METRICS_NAMESPACE"]
SERVICE = GLOBAL_ENV["POWERTOOLS_SERVICE_NAME"]


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(), str(path))) for path in SOURCES]


def _add_metric_calls() -> list[tuple[Path, ast.Call]]:
    return [
        (path, node)
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_metric"
    ]


def emitted_metrics() -> set[str]:
    """Every `Metric.X` the code refers to: the names its `add_metric` calls can pass."""
    return {
        Metric[node.attr].value
        for _, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Metric"
    }


def _sub_text(value: Any) -> str:
    """The text of a `!Sub` (either form), its `${…}` placeholders left in."""
    sub = value["Fn::Sub"]
    return sub if isinstance(sub, str) else sub[0]


def dashboard_metrics() -> list[tuple[str, str, list[str]]]:
    """(namespace, metric name, dimensions as name/value pairs) of every metric line of every dashboard widget."""
    found = []
    for dashboard in resources_of_type(TEMPLATE, "AWS::CloudWatch::Dashboard").values():
        body = json.loads(_sub_text(dashboard["Properties"]["DashboardBody"]))
        for widget in body["widgets"]:
            for line in widget["properties"].get("metrics", []):
                names = [part for part in line if isinstance(part, str)]
                if names:  # an expression line is one dict
                    found.append((names[0], names[1], names[2:]))
    return found


def alarm_metrics() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(namespace, metric name, dimensions) of every alarm, single-metric or metric math."""
    found = []
    for alarm in resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if "MetricName" in properties:
            found.append((properties["Namespace"], properties["MetricName"], properties.get("Dimensions", [])))
        for query in properties.get("Metrics", []):
            if "MetricStat" in query:
                metric = query["MetricStat"]["Metric"]
                found.append((metric["Namespace"], metric["MetricName"], metric.get("Dimensions", [])))
    return found


def test_no_metric_is_emitted_under_a_literal_name() -> None:
    literal = [
        f"{path.relative_to(ROOT)}:{call.lineno}"
        for path, call in _add_metric_calls()
        for keyword in call.keywords
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant)
    ]
    assert literal == [], "emit Metric.X (solar_core/metric_names.py), not a string"


def test_the_metric_names_are_unique_and_every_one_is_emitted_somewhere() -> None:
    assert len({metric.value for metric in Metric}) == len(Metric)
    assert {metric.value for metric in Metric} - emitted_metrics() == set()


@pytest.mark.parametrize("source", ["alarms", "dashboard"])
def test_every_metric_of_ours_the_template_watches_is_emitted_under_that_name_and_dimension(source: str) -> None:
    watched = (
        [(namespace, name, [f"{d['Name']}={d['Value']}" for d in dims]) for namespace, name, dims in alarm_metrics()]
        if source == "alarms"
        else [
            (namespace, name, [f"{dims[i]}={dims[i + 1]}" for i in range(0, len(dims), 2)])
            for namespace, name, dims in dashboard_metrics()
        ]
    )
    ours = [(name, dims) for namespace, name, dims in watched if not namespace.startswith("AWS/")]
    assert ours, f"the {source} watch none of our metrics"
    assert {namespace for namespace, _, _ in watched if not namespace.startswith("AWS/")} == {NAMESPACE}
    assert {name for name, _ in ours} - emitted_metrics() == set()
    # Powertools adds one dimension, the service: a metric watched without it (or with others) is another metric
    assert all(dims == [f"service={SERVICE}"] for _, dims in ours)


def test_the_four_figures_operators_asked_for_and_the_automation_outcomes_are_on_the_dashboard() -> None:
    widgets = {name for _, name, _ in dashboard_metrics()}
    asked = {"SyncSucceeded", "SyncFailed", "SyncDuration", "WebhookFailed", "RetryQueued"}
    outcomes = {"SSRCreated", "OrderFlagged", "OrderSkipped", "ApproximateNumberOfMessagesVisible"}
    assert asked | outcomes <= widgets


def test_every_dead_letter_queue_has_a_depth_alarm_and_a_dashboard_line() -> None:
    queues = resources_of_type(TEMPLATE, "AWS::SQS::Queue")
    dead_letter = {
        queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for queue in queues.values()
        if "RedrivePolicy" in queue["Properties"]
    }
    functions = resources_of_type(TEMPLATE, "AWS::Serverless::Function")
    for function in functions.values():
        for event in function["Properties"].get("Events", {}).values():
            destination = event["Properties"].get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            if destination:
                dead_letter.add(destination["Fn::GetAtt"][0])
    alarmed = {
        dims[0]["Value"]["Fn::GetAtt"][0]
        for namespace, name, dims in alarm_metrics()
        if (namespace, name) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    }
    on_dashboard = {
        re.fullmatch(r"\$\{(\w+)\.QueueName\}", dims[1]).group(1)  # type: ignore[union-attr]
        for namespace, _, dims in dashboard_metrics()
        if namespace == "AWS/SQS"
    }
    assert dead_letter == {"OrderStreamDLQ", "SyncDLQ", "WebhookDLQ"}
    assert dead_letter == alarmed == on_dashboard


def test_every_alarm_tells_the_alarm_topic() -> None:
    for alarm_id, alarm in resources_of_type(TEMPLATE, "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], alarm_id
