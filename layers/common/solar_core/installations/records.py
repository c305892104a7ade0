"""The SSR record set of an order (SSR, installation request, warranties, audit) written in one DynamoDB transaction.

The order's guard item (`ORDER#<id>`/`SSR`, condition attribute_not_exists) is part of the transaction, so however
many attempts race or re-run, one record set exists per order; a loser reads the guard and reuses its SSR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist, GetError, QueryError, TransactWriteError
from pynamodb.transactions import TransactWrite

from solar_core import errors
from solar_core.aws_errors import cancellation_codes, storage_error
from solar_core.installations import ids
from solar_core.installations.audit import audit_item
from solar_core.installations.models import (
    AuditEntry,
    BookingSummary,
    CreatedRecords,
    EquipmentLine,
    InstallationRequest,
    ServiceSystemRecord,
    SystemType,
    Warranty,
)
from solar_core.installations.tables import (
    GUARD_SK,
    SSR_SK,
    AddressMap,
    EquipmentMap,
    InstallationItem,
    InstallationRequestItem,
    OrderGuardItem,
    SsrItem,
    WarrantyItem,
    as_map,
    order_pk,
    plain,
    ssr_pk,
)
from solar_core.orders.models import Address
from solar_core.transactions import idempotent_write

# DynamoDB's transaction limit is 100 items: guard, SSR, installation request and one audit entry, plus the two
# items the workflow adds (the installation request's OpenSolar link and its counter), leave 94.
MAX_WARRANTIES = 94


class OrderAlreadyHasSsr(errors.Conflict):
    """The order's guard exists: another attempt created the record set first."""


class SsrIdTaken(errors.Conflict):
    """The random SSR id collided with an existing one; a new id will do."""


class ConcurrentCreation(errors.UpstreamUnavailable):
    """Another transaction on the same order was in flight; retrying finds its guard."""


@dataclass(frozen=True)
class RecordSet:
    ssr: ServiceSystemRecord
    installation_request: InstallationRequest
    warranties: list[Warranty]
    branch_id: str
    audit: AuditEntry


def get_guard(order_id: str) -> CreatedRecords | None:
    """The record set already created for the order, if any (a strongly consistent read)."""
    try:
        guard = OrderGuardItem.get(order_pk(order_id), GUARD_SK, consistent_read=True)
    except DoesNotExist:
        return None
    except GetError as exc:
        raise storage_error(exc) from exc
    return CreatedRecords(
        ssr_id=guard.ssr_id,
        installation_request_id=guard.installation_request_id,
        system_type=SystemType(guard.system_type),
        system_size_kw=guard.system_size_kw,
    )


def _ssr_item(record_set: RecordSet) -> SsrItem:
    ssr = record_set.ssr
    return SsrItem(
        pk=ssr_pk(ssr.ssr_id),
        sk=SSR_SK,
        order_id=ssr.order_id,
        ssr_id=ssr.ssr_id,
        status=ssr.status.value,
        system_size_kw=ssr.system_size_kw,
        system_type=ssr.system_type.value,
        installation_request_id=ssr.installation_request_id,
        equipment=[as_map(EquipmentMap, line.model_dump()) for line in ssr.equipment],
        created_at=ssr.created_at,
    )


def _installation_request_item(record_set: RecordSet) -> InstallationRequestItem:
    request = record_set.installation_request
    return InstallationRequestItem(
        pk=ssr_pk(record_set.ssr.ssr_id),
        sk=f"IR#{request.id}",
        order_id=record_set.ssr.order_id,
        ssr_id=record_set.ssr.ssr_id,
        installation_request_id=request.id,
        status=request.status.value,
        installation_type=request.installation_type.value,
        customer_name=request.customer_name,
        phone=request.phone,
        address=as_map(AddressMap, request.address.model_dump()),
        branch_id=record_set.branch_id,
        created_at=record_set.ssr.created_at,
    )


def _warranty_item(record_set: RecordSet, warranty: Warranty) -> WarrantyItem:
    return WarrantyItem(
        pk=ssr_pk(record_set.ssr.ssr_id),
        sk=f"WARRANTY#{warranty.warranty_id}",
        order_id=record_set.ssr.order_id,
        ssr_id=record_set.ssr.ssr_id,
        warranty_id=warranty.warranty_id,
        product_id=warranty.product_id,
        product_name=warranty.product_name,
        serial_number=warranty.serial_number,
        quantity=warranty.quantity,
        start_date=warranty.start_date,
        end_date=warranty.end_date,
        duration_days=warranty.duration_days,
        rule_source=warranty.rule_source or "default",
    )


# What else the caller writes in the record set's own transaction (the workflow: the installation request's
# OpenSolar link), so that it exists exactly when the record set does.
AlsoWrite = Callable[[TransactWrite, "RecordSet"], None]


def write_record_set(record_set: RecordSet, *, also: AlsoWrite | None = None) -> None:
    """Writes the guard and the whole record set atomically, with what `also` adds to the same transaction.

    Raises OrderAlreadyHasSsr when the guard exists, SsrIdTaken on an id collision, ConcurrentCreation when
    DynamoDB cancelled the transaction for a concurrent one, UpstreamUnavailable when throttled.
    """
    if len(record_set.warranties) > MAX_WARRANTIES:
        raise errors.Unprocessable(
            f"The order needs {len(record_set.warranties)} warranties; one transaction holds at most {MAX_WARRANTIES}."
        )
    ssr = record_set.ssr
    guard = OrderGuardItem(
        pk=order_pk(ssr.order_id),
        sk=GUARD_SK,
        ssr_id=ssr.ssr_id,
        installation_request_id=ssr.installation_request_id,
        system_type=ssr.system_type.value,
        system_size_kw=ssr.system_size_kw,
        created_at=ssr.created_at,
    )
    audit = record_set.audit
    try:
        with idempotent_write() as transaction:
            transaction.save(guard, condition=OrderGuardItem.pk.does_not_exist())
            transaction.save(_ssr_item(record_set), condition=SsrItem.pk.does_not_exist())
            transaction.save(_installation_request_item(record_set))
            for warranty in record_set.warranties:
                transaction.save(_warranty_item(record_set, warranty))
            transaction.save(audit_item(ssr.order_id, audit.action, audit.detail, ssr.ssr_id, audit.at))
            if also is not None:
                also(transaction, record_set)
    except TransactWriteError as exc:
        raise _transaction_error(exc) from exc


def _transaction_error(exc: TransactWriteError) -> errors.DomainError:
    codes = cancellation_codes(exc)
    if codes and codes[0] == "ConditionalCheckFailed":
        return OrderAlreadyHasSsr("The order already has an SSR.")
    if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
        return SsrIdTaken("The SSR id is taken.")
    if "TransactionConflict" in codes:
        return ConcurrentCreation("Another transaction is creating records for this order.")
    return storage_error(exc)


# ---------------------------------------------------------------- reads


def _as_ssr(item: SsrItem) -> ServiceSystemRecord:
    return ServiceSystemRecord.model_validate(
        {
            "ssr_id": item.ssr_id,
            "order_id": item.order_id,
            "status": item.status,
            "system_size_kw": item.system_size_kw,
            "system_type": item.system_type,
            "created_at": item.created_at,
            "installation_request_id": item.installation_request_id,
            "equipment": [EquipmentLine.model_validate(plain(line)) for line in item.equipment or []],
        }
    )


def booking_of(item: InstallationRequestItem) -> BookingSummary | None:
    """The crew booking the item holds, if any."""
    if not (item.booking_crew_id and item.booking_date):
        return None
    return BookingSummary(crew_id=item.booking_crew_id, crew_name=item.booking_crew_name or "", date=item.booking_date)


def _as_installation_request(item: InstallationRequestItem) -> InstallationRequest:
    return InstallationRequest.model_validate(
        {
            "id": item.installation_request_id,
            "status": item.status,
            "installation_type": item.installation_type,
            "customer_name": item.customer_name,
            "phone": item.phone,
            "address": Address.model_validate(plain(item.address)),
            "installation_date": item.installation_date,
            "booking": booking_of(item),
        }
    )


def _as_warranty(item: WarrantyItem) -> Warranty:
    return Warranty(
        warranty_id=item.warranty_id,
        product_id=item.product_id,
        product_name=item.product_name,
        serial_number=item.serial_number,
        quantity=int(item.quantity),
        start_date=item.start_date,
        end_date=item.end_date,
        duration_days=int(item.duration_days),
        rule_source=item.rule_source,
    )


@dataclass(frozen=True)
class StoredRecordSet:
    ssr: ServiceSystemRecord
    installation_request: InstallationRequest | None
    warranties: list[Warranty]


def stored_parts(
    items: list[InstallationItem],
) -> tuple[ServiceSystemRecord | None, InstallationRequest | None, list[Warranty]]:
    """The SSR, installation request and warranties among raw items (of one order or one SSR)."""
    ssr = next((_as_ssr(item) for item in items if isinstance(item, SsrItem)), None)
    request = next(
        (_as_installation_request(item) for item in items if isinstance(item, InstallationRequestItem)), None
    )
    warranties = sorted(
        (_as_warranty(item) for item in items if isinstance(item, WarrantyItem)), key=lambda w: w.warranty_id
    )
    return ssr, request, warranties


def get_record_set(ssr_id: str) -> StoredRecordSet:
    """The SSR with its installation request and warranties (one query on the SSR's partition)."""
    try:
        items = list(InstallationItem.query(ssr_pk(ssr_id), consistent_read=True))
    except QueryError as exc:
        raise storage_error(exc) from exc
    ssr, request, warranties = stored_parts(items)
    if ssr is None:
        raise errors.NotFound(f"No service record {ssr_id}.")
    return StoredRecordSet(ssr, request, warranties)


def get_ssr(ssr_id: str) -> ServiceSystemRecord:
    try:
        item = SsrItem.get(ssr_pk(ssr_id), SSR_SK)
    except DoesNotExist:
        raise errors.NotFound(f"No service record {ssr_id}.") from None
    except GetError as exc:
        raise storage_error(exc) from exc
    return _as_ssr(item)


def items_of_order(order_id: str) -> list[InstallationItem]:
    """Everything the read API shows for an order, from the ByOrder index (one query, no scan)."""
    try:
        return list(InstallationItem.by_order.query(order_id))
    except QueryError as exc:
        raise storage_error(exc) from exc


@dataclass(frozen=True)
class StoredInstallationRequest:
    """An installation request with the ids of the order and SSR it belongs to."""

    request: InstallationRequest
    order_id: str
    ssr_id: str
    created_at: str
    installation_date: str | None = None
    updated_at: str | None = None
    branch_id: str = ""
    booking: BookingSummary | None = None
    booked_at: str | None = None


def get_installation_request(installation_request_id: str) -> StoredInstallationRequest:
    """One GetItem (strongly consistent: status changes are conditioned on what it reads); the installation request's
    key follows from its id (its SSR shares the suffix)."""
    ssr_id = ids.ssr_id_of(installation_request_id)
    try:
        item = InstallationRequestItem.get(ssr_pk(ssr_id), f"IR#{installation_request_id}", consistent_read=True)
    except DoesNotExist:
        raise errors.NotFound(f"No installation request {installation_request_id}.") from None
    except GetError as exc:
        raise storage_error(exc) from exc
    return StoredInstallationRequest(
        _as_installation_request(item),
        item.order_id,
        item.ssr_id,
        item.created_at,
        item.installation_date,
        item.updated_at,
        item.branch_id,
        booking_of(item),
        item.booked_at,
    )
