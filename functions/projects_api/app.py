"""Projects API: service records (SSR) read routes; any authenticated caller may read them."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from solar_core.adapters.http import ResourceId, build_resolver
from solar_core.installations.models import ServiceRequestView
from solar_core.installations.views import service_request_by_ssr, service_request_for_order

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = build_resolver()


@app.get("/orders/<id>/service-request")
@tracer.capture_method
def get_order_service_request(id: ResourceId) -> ServiceRequestView:
    logger.append_keys(order_id=id)
    return service_request_for_order(id)


@app.get("/service-requests/<ssr_id>")
@tracer.capture_method
def get_service_request(ssr_id: ResourceId) -> ServiceRequestView:
    logger.append_keys(ssr_id=ssr_id)
    return service_request_by_ssr(ssr_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
