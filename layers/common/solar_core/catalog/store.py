"""Products, packages, compatibility rules and warranty rules in the Catalog table (pynamodb).

Keys: a product is (`PRODUCT#<id>`, `PRODUCT`), a package (`PACKAGE#<id>`, `PACKAGE`). Every compatibility rule
lives in the partition `COMPATIBILITY_RULE` under a rule id derived from (type, a, b) — sorted for the symmetric
types, ordered for REQUIRES — so a conditional put refuses a duplicate without reading first; the two GSIs find
rules by either product. Warranty rules share the partition `WARRANTY_RULE`, so listing them is one Query.
DynamoDB failures leave every public function as domain errors (`solar_core.aws_errors.storage_edge`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel
from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from solar_core import errors
from solar_core.aws_errors import storage_edge
from solar_core.catalog.models import (
    CompatibilityRule,
    CompatibilityRuleIn,
    Package,
    PackageIn,
    Product,
    ProductIn,
    RuleType,
    WarrantyRule,
    WarrantyRuleIn,
)
from solar_core.catalog.records import condition_failed, upsert, utc_now
from solar_core.settings import get_settings

RULES_PARTITION = "COMPATIBILITY_RULE"
WARRANTY_RULES_PARTITION = "WARRANTY_RULE"
_RULE_ID_NAMESPACE = uuid.UUID("6f1d3c52-8f0e-4f4e-9a3e-2b8f0c7d5a10")
_SYMMETRIC = frozenset({RuleType.COMPATIBLE, RuleType.INCOMPATIBLE})

_M = TypeVar("_M", bound=BaseModel)
_R = TypeVar("_R", bound="_CatalogRecord")


class _CatalogRecord(Model):
    class Meta:
        table_name = get_settings().catalog_table
        region = get_settings().aws_region

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _ProductRecord(_CatalogRecord):
    id = UnicodeAttribute()
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    category = UnicodeAttribute()
    is_solar = BooleanAttribute(null=True)
    specs: MapAttribute[str, Any] = MapAttribute()  # type: ignore[no-untyped-call]  # raw map: specs keep unknown keys
    warranty_days = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class _PackageItemMap(MapAttribute[str, Any]):
    product_id = UnicodeAttribute()
    quantity = NumberAttribute()


class _PackageRecord(_CatalogRecord):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    system_size_kw = NumberAttribute(null=True)
    items = ListAttribute(of=_PackageItemMap)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class _RulesByProductA(GlobalSecondaryIndex["_RuleRecord"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "RulesByProductA"
        projection = AllProjection()

    product_a_id = UnicodeAttribute(hash_key=True)


class _RulesByProductB(GlobalSecondaryIndex["_RuleRecord"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "RulesByProductB"
        projection = AllProjection()

    product_b_id = UnicodeAttribute(hash_key=True)


class _RuleRecord(_CatalogRecord):
    rule_id = UnicodeAttribute()
    product_a_id = UnicodeAttribute()
    product_b_id = UnicodeAttribute()
    rule_type = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    is_active = BooleanAttribute()
    created_at = UnicodeAttribute()

    by_product_a = _RulesByProductA()
    by_product_b = _RulesByProductB()


class _WarrantyRuleRecord(_CatalogRecord):
    rule_id = UnicodeAttribute()
    product_id = UnicodeAttribute(null=True)
    category = UnicodeAttribute(null=True)
    duration_days = NumberAttribute()
    priority = NumberAttribute()
    is_active = BooleanAttribute()
    created_at = UnicodeAttribute()


@storage_edge
def put_product(product_id: str, body: ProductIn) -> tuple[Product, bool]:
    """Create or replace a product; True when it is new. A replace keeps the original `created_at`."""
    now = utc_now()
    product = Product(id=product_id, created_at=now, updated_at=now, **body.model_dump())
    written = upsert(_record(_ProductRecord, _product_key(product_id), product))
    return product.model_copy(update={"created_at": written.created_at}), written.created


@storage_edge
def get_product(product_id: str) -> Product:
    try:
        record = _ProductRecord.get(*_product_key(product_id))
    except _ProductRecord.DoesNotExist as exc:
        raise errors.NotFound(f"Product {product_id} does not exist.") from exc
    return _model(Product, record)


@storage_edge
def get_products(product_ids: Iterable[str]) -> dict[str, Product]:
    """The products that exist among `product_ids` (one BatchGet per 100 ids), keyed by id."""
    keys = [_product_key(product_id) for product_id in dict.fromkeys(product_ids)]
    return {record.id: _model(Product, record) for record in _ProductRecord.batch_get(keys)}


@storage_edge
def put_package(package_id: str, body: PackageIn) -> tuple[Package, bool]:
    """Create or replace a package; True when it is new. A replace keeps the original `created_at`."""
    now = utc_now()
    package = Package(id=package_id, created_at=now, updated_at=now, **body.model_dump())
    written = upsert(_record(_PackageRecord, _package_key(package_id), package))
    return package.model_copy(update={"created_at": written.created_at}), written.created


@storage_edge
def get_package(package_id: str) -> Package:
    try:
        record = _PackageRecord.get(*_package_key(package_id))
    except _PackageRecord.DoesNotExist as exc:
        raise errors.NotFound(f"Package {package_id} does not exist.") from exc
    return _model(Package, record)


def rule_id_for(product_a_id: str, product_b_id: str, rule_type: RuleType) -> str:
    """The same id for the same (a, b, type); (b, a) counts as the same pair for COMPATIBLE/INCOMPATIBLE."""
    pair = sorted((product_a_id, product_b_id)) if rule_type in _SYMMETRIC else [product_a_id, product_b_id]
    return str(uuid.uuid5(_RULE_ID_NAMESPACE, json.dumps([rule_type.value, *pair])))


@storage_edge
def create_rule(body: CompatibilityRuleIn) -> CompatibilityRule:
    """Store a new rule; `Conflict` when the same (a, b, type) exists, decided by the write's condition."""
    rule_id = rule_id_for(body.product_a_id, body.product_b_id, body.rule_type)
    rule = CompatibilityRule(rule_id=rule_id, created_at=utc_now(), **body.model_dump())
    try:
        _record(_RuleRecord, (RULES_PARTITION, rule_id), rule).save(condition=_RuleRecord.sk.does_not_exist())
    except PutError as exc:
        if condition_failed(exc):
            raise errors.Conflict(
                f"A {body.rule_type} rule for {body.product_a_id} and {body.product_b_id} already exists.",
                details=[{"rule_id": rule_id}],
            ) from exc
        raise
    return rule


@storage_edge
def list_rules(product_id: str | None = None) -> list[CompatibilityRule]:
    """Every rule, or the rules naming `product_id` on either side (one Query per index)."""
    if product_id is None:
        records: Iterable[_RuleRecord] = _RuleRecord.query(RULES_PARTITION)
    else:
        records = [*_RuleRecord.by_product_a.query(product_id), *_RuleRecord.by_product_b.query(product_id)]
    rules = {record.rule_id: _model(CompatibilityRule, record) for record in records}
    return sorted(rules.values(), key=lambda rule: (rule.created_at, rule.rule_id))


@storage_edge
def rules_for_products(product_ids: Iterable[str]) -> list[CompatibilityRule]:
    """The rules that can affect a set of products: pairs inside the set, and REQUIRES rules of its members.

    Both kinds name a member as product A, so the RulesByProductA index alone finds them (one Query per id).
    """
    members = set(product_ids)
    rules = []
    for product_id in sorted(members):
        for record in _RuleRecord.by_product_a.query(product_id):
            if record.product_b_id in members or record.rule_type == RuleType.REQUIRES:
                rules.append(_model(CompatibilityRule, record))
    return rules


@storage_edge
def delete_rule(rule_id: str) -> None:
    try:
        _RuleRecord(RULES_PARTITION, rule_id).delete(condition=_RuleRecord.sk.exists())
    except DeleteError as exc:
        if condition_failed(exc):
            raise errors.NotFound(f"Compatibility rule {rule_id} does not exist.") from exc
        raise


@storage_edge
def create_warranty_rule(body: WarrantyRuleIn) -> WarrantyRule:
    rule = WarrantyRule(rule_id=str(uuid.uuid4()), created_at=utc_now(), **body.model_dump())
    _record(_WarrantyRuleRecord, (WARRANTY_RULES_PARTITION, rule.rule_id), rule).save()
    return rule


@storage_edge
def list_warranty_rules() -> list[WarrantyRule]:
    """Every warranty rule, oldest first (one Query on their partition)."""
    rules = [_model(WarrantyRule, record) for record in _WarrantyRuleRecord.query(WARRANTY_RULES_PARTITION)]
    return sorted(rules, key=lambda rule: (rule.created_at, rule.rule_id))


def _product_key(product_id: str) -> tuple[str, str]:
    return f"PRODUCT#{product_id}", "PRODUCT"


def _package_key(package_id: str) -> tuple[str, str]:
    return f"PACKAGE#{package_id}", "PACKAGE"


def _record(record_type: type[_R], key: tuple[str, str], model: BaseModel) -> _R:
    """The record holding `model` under `key` (fields without a value are left out of the item)."""
    record = record_type()
    pk, sk = key
    record.from_simple_dict({**model.model_dump(mode="json", exclude_none=True), "pk": pk, "sk": sk})
    return record


def _model(model_type: type[_M], record: _CatalogRecord) -> _M:
    return model_type.model_validate(record.to_simple_dict())
