"""Catalog and compatibility API: products, packages, compatibility and warranty rules, the two checks, orders."""

from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from solar_core.adapters.http import STAFF_ONLY, ResourceId, build_resolver
from solar_core.catalog import service as catalog
from solar_core.catalog import store as catalog_store
from solar_core.catalog.models import (
    CheckProductsIn,
    CompatibilityRule,
    CompatibilityRuleIn,
    CompatibilityRuleList,
    Package,
    PackageIn,
    PackageValidation,
    Product,
    ProductIn,
    ProductPairCheck,
    ValidatePackageIn,
    WarrantyRule,
    WarrantyRuleIn,
    WarrantyRuleList,
)
from solar_core.metric_names import Metric
from solar_core.orders import service as orders
from solar_core.orders import store as order_store
from solar_core.orders.models import Order, OrderIn

logger = Logger()
metrics = Metrics()
app = build_resolver()


def _saved(model: BaseModel, created: bool) -> Response[Any]:
    """201 for a new resource, 200 for a replaced one."""
    status = HTTPStatus.CREATED if created else HTTPStatus.OK
    return Response(status_code=status.value, content_type=content_types.APPLICATION_JSON, body=model)


def _created_or_replaced(model: type[BaseModel]) -> dict[int, Any]:
    content = {content_types.APPLICATION_JSON: {"model": model}}
    return {
        HTTPStatus.OK: {"description": "Replaced", "content": content},
        HTTPStatus.CREATED: {"description": "Created", "content": content},
    }


@app.put(
    "/products/<id>",
    summary="Create or replace a product (staff)",
    tags=["catalog"],
    openapi_extensions=STAFF_ONLY,
    responses=_created_or_replaced(Product),
)
def put_product(id: ResourceId, product: Annotated[ProductIn, Body()]) -> Response[Product]:
    return _saved(*catalog_store.put_product(id, product))


@app.get("/products/<id>", summary="Read a product", tags=["catalog"])
def get_product(id: ResourceId) -> Product:
    return catalog_store.get_product(id)


@app.put(
    "/packages/<id>",
    summary="Create or replace a package of existing products (staff)",
    tags=["catalog"],
    openapi_extensions=STAFF_ONLY,
    responses=_created_or_replaced(Package),
)
def put_package(id: ResourceId, package: Annotated[PackageIn, Body()]) -> Response[Package]:
    return _saved(*catalog.put_package(id, package))


@app.get("/packages/<id>", summary="Read a package", tags=["catalog"])
def get_package(id: ResourceId) -> Package:
    return catalog_store.get_package(id)


@app.post(
    "/products/compatibility/rules",
    summary="Create a compatibility rule; 409 when (a, b, type) exists (staff)",
    tags=["compatibility"],
    openapi_extensions=STAFF_ONLY,
    status_code=HTTPStatus.CREATED.value,
)
def create_rule(rule: Annotated[CompatibilityRuleIn, Body()]) -> CompatibilityRule:
    return catalog.create_rule(rule)


@app.get("/products/compatibility/rules", summary="List compatibility rules", tags=["compatibility"])
def list_rules(product_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None) -> CompatibilityRuleList:
    return CompatibilityRuleList(items=catalog_store.list_rules(product_id))


@app.delete(
    "/products/compatibility/rules/<rule_id>",
    summary="Delete a compatibility rule (staff)",
    tags=["compatibility"],
    openapi_extensions=STAFF_ONLY,
    responses={HTTPStatus.NO_CONTENT: {"description": "Deleted"}},
)
def delete_rule(rule_id: ResourceId) -> Response[None]:
    catalog_store.delete_rule(rule_id)
    return Response(status_code=HTTPStatus.NO_CONTENT.value)


@app.post(
    "/products/compatibility/check-products", summary="Check two products against the rules", tags=["compatibility"]
)
def check_products(pair: Annotated[CheckProductsIn, Body()]) -> ProductPairCheck:
    return catalog.check_products(pair.product_a_id, pair.product_b_id)


@app.post(
    "/products/compatibility/validate-package",
    summary="Check a package: rules, required products and system size",
    tags=["compatibility"],
)
def validate_package(request: Annotated[ValidatePackageIn, Body()]) -> PackageValidation:
    return catalog.validate_package(request.package_id)


@app.post(
    "/warranty-rules",
    summary="Create a warranty rule for a product or a category (staff)",
    tags=["warranty"],
    openapi_extensions=STAFF_ONLY,
    status_code=HTTPStatus.CREATED.value,
)
def create_warranty_rule(rule: Annotated[WarrantyRuleIn, Body()]) -> WarrantyRule:
    return catalog.create_warranty_rule(rule)


@app.get("/warranty-rules", summary="List warranty rules", tags=["warranty"])
def list_warranty_rules() -> WarrantyRuleList:
    return WarrantyRuleList(items=catalog_store.list_warranty_rules())


@app.put(
    "/orders/<id>",
    summary="Create or replace an order as the CRM holds it; an older updated_at is refused",
    tags=["orders"],
    responses=_created_or_replaced(Order),
)
def put_order(id: ResourceId, order: Annotated[OrderIn, Body()]) -> Response[Order]:
    logger.append_keys(order_id=id)
    saved = orders.put_order(id, order)
    metrics.add_metric(name=Metric.ORDER_WRITTEN, unit=MetricUnit.Count, value=1)
    return _saved(*saved)


@app.get("/orders/<id>", summary="Read an order, including the notes automation writes", tags=["orders"])
def get_order(id: ResourceId) -> Order:
    logger.append_keys(order_id=id)
    return order_store.get_order(id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
