"""Products, packages, compatibility rules and warranty rules in the Catalog table (pynamodb).

Keys: a product is (`PRODUCT#<id>`, `PRODUCT`), a package (`PACKAGE#<id>`, `PACKAGE`). Every compatibility rule
lives in the partition `COMPATIBILITY_RULE` under a rule id derived from (type, a, b) — sorted for the symmetric
types, ordered for REQUIRES — so a conditional put refuses a duplicate without reading first; the two GSIs find
rules by either product. Warranty rules share the partition `WARRANTY_RULE`, so listing them is one Query.

Every rule write also rewrites one version item (`CATALOG`, `RULES_VERSION`) with a new token, in the same
transaction. A reader that has the token (the SSR workflow reads it with the order's products, in the same BatchGet)
can keep every rule in memory for as long as the token stays the same: `rule_set(token)`. The catalog API's checks
read the rules fresh instead.
DynamoDB failures leave every public function as domain errors (`solar_core.aws_errors.storage_edge`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel
from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from solar_core import errors
from solar_core.aws_errors import cancellation_codes, storage_edge
from solar_core.catalog.compatibility import rules_affecting
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
from solar_core.catalog.records import upsert, utc_now
from solar_core.settings import get_settings
from solar_core.transactions import idempotent_write

RULES_PARTITION = "COMPATIBILITY_RULE"
WARRANTY_RULES_PARTITION = "WARRANTY_RULE"
RULES_VERSION_KEY = ("CATALOG", "RULES_VERSION")
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


class _RulesVersionRecord(_CatalogRecord):
    token = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class _RawCatalogItem(_CatalogRecord):
    """Reads items of any kind through pynamodb's BatchGet (its paging and unprocessed-key retries) as raw maps."""

    @classmethod
    def from_raw_data(cls, data: dict[str, Any]) -> Any:  # raw: the caller picks the type
        return data


@dataclass(frozen=True)
class RuleSet:
    """Every compatibility and warranty rule as of one version token (None: read without a token, not kept)."""

    token: str | None
    compatibility: tuple[CompatibilityRule, ...]
    warranty: tuple[WarrantyRule, ...]

    def for_products(self, product_ids: Iterable[str]) -> list[CompatibilityRule]:
        return rules_affecting(self.compatibility, product_ids)


_kept_rules: RuleSet | None = None  # the rules of the newest version this container has read


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
def get_products_and_rules_version(product_ids: Iterable[str]) -> tuple[dict[str, Product], str | None]:
    """The products that exist among `product_ids`, keyed by id, and the rules' version token (None before the first
    rule write), in one strongly consistent BatchGet per 100 keys."""
    keys = [_product_key(product_id) for product_id in dict.fromkeys(product_ids)]
    products: dict[str, Product] = {}
    token = None
    found: Iterable[Any] = _RawCatalogItem.batch_get([*keys, RULES_VERSION_KEY], consistent_read=True)
    for raw in found:
        if (raw["pk"]["S"], raw["sk"]["S"]) == RULES_VERSION_KEY:
            token = _RulesVersionRecord.from_raw_data(raw).token
        else:
            product = _ProductRecord.from_raw_data(raw)
            products[product.id] = _model(Product, product)
    return products, token


@storage_edge
def rule_set(token: str | None) -> RuleSet:
    """Every rule as of `token`: kept in memory for the token, else read (one consistent Query per kind of rule).

    The token was read before the rules: a rule written since then has a newer token, so keeping what this read
    found under the older one never hides it from a reader of the newer token.
    """
    global _kept_rules  # noqa: PLW0603 - the container's memory of one rule version
    if token is not None and _kept_rules is not None and _kept_rules.token == token:
        return _kept_rules
    rules = RuleSet(
        token=token,
        compatibility=tuple(
            _model(CompatibilityRule, record) for record in _RuleRecord.query(RULES_PARTITION, consistent_read=True)
        ),
        warranty=tuple(
            _sorted_warranty_rules(_WarrantyRuleRecord.query(WARRANTY_RULES_PARTITION, consistent_read=True))
        ),
    )
    if token is not None:
        _kept_rules = rules
    return rules


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
        with _rules_change() as transaction:
            transaction.save(
                _record(_RuleRecord, (RULES_PARTITION, rule_id), rule), condition=_RuleRecord.sk.does_not_exist()
            )
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
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
    """The rules that can affect a set of products, read fresh: both kinds name a member as product A, so the
    RulesByProductA index alone finds them (one Query per id)."""
    members = set(product_ids)
    rules: list[CompatibilityRule] = []
    for product_id in sorted(members):
        rules.extend(_model(CompatibilityRule, record) for record in _RuleRecord.by_product_a.query(product_id))
    return rules_affecting(rules, members)


@storage_edge
def delete_rule(rule_id: str) -> None:
    try:
        with _rules_change() as transaction:
            transaction.delete(_RuleRecord(RULES_PARTITION, rule_id), condition=_RuleRecord.sk.exists())
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            raise errors.NotFound(f"Compatibility rule {rule_id} does not exist.") from exc
        raise


@storage_edge
def create_warranty_rule(body: WarrantyRuleIn) -> WarrantyRule:
    rule = WarrantyRule(rule_id=str(uuid.uuid4()), created_at=utc_now(), **body.model_dump())
    with _rules_change() as transaction:
        transaction.save(_record(_WarrantyRuleRecord, (WARRANTY_RULES_PARTITION, rule.rule_id), rule))
    return rule


@storage_edge
def list_warranty_rules() -> list[WarrantyRule]:
    """Every warranty rule, oldest first (one Query on their partition)."""
    return _sorted_warranty_rules(_WarrantyRuleRecord.query(WARRANTY_RULES_PARTITION))


def _sorted_warranty_rules(records: Iterable[_WarrantyRuleRecord]) -> list[WarrantyRule]:
    rules = [_model(WarrantyRule, record) for record in records]
    return sorted(rules, key=lambda rule: (rule.created_at, rule.rule_id))


@contextmanager
def _rules_change() -> Iterator[TransactWrite]:
    """A transaction for a rule write that also gives the rules a new version token (the write goes in first)."""
    with idempotent_write() as transaction:
        yield transaction
        version = _RulesVersionRecord(*RULES_VERSION_KEY, token=uuid.uuid4().hex, updated_at=utc_now())
        transaction.save(version)


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
