"""Config table: offers and their goals, payouts and pixels; partners, advertisers, network."""

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from goalpost.model.audit import Audit

from goalpost.model.offer import (
    Advertiser,
    Goal,
    NetworkSettings,
    Offer,
    OfferBundle,
    Partner,
    PayoutStructure,
    Rate,
)
from goalpost.store.dynamo import (
    Page,
    all_pages,
    as_written,
    client,
    config_table,
    from_item,
    query_page,
    to_item,
)


def load_offer_bundle(offer_id: str) -> OfferBundle | None:
    """The offer, its goals, custom partner payouts, pixels and partners' access in one query
    (one partition): the click learns a partner's access with the offer, no read of its own."""
    kwargs: dict[str, Any] = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"OFFER#{offer_id}"}},
    }
    offer: Offer | None = None
    goals: dict[str, Goal] = {}
    payouts: dict[tuple[str, str], Rate] = {}
    pixels: list[dict[str, Any]] = []
    access: dict[str, Any] = {}
    while True:
        response = client().query(**kwargs)
        for raw in response.get("Items", []):
            data = from_item(raw)
            sk: str = data["sk"]
            if sk == "OFFER":
                offer = Offer.from_dict(data["doc"])
            elif sk.startswith("GOAL#"):
                goal = Goal.from_dict(data["doc"])
                goals[goal.goal_id] = goal
            elif sk.startswith("PAYOUT#"):
                _, partner_id, goal_id = sk.split("#", 2)
                payouts[(partner_id, goal_id)] = Rate.from_dict(data["doc"]["payout"])
            elif sk.startswith("PIXEL#"):
                pixels.append(data["doc"])
            elif sk.startswith(_ACCESS):
                access[sk[len(_ACCESS) :]] = data["doc"]["state"]
        if "LastEvaluatedKey" not in response:
            break
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    if offer is None:
        return None
    return OfferBundle(offer=offer, goals=goals, custom_payouts=payouts, pixels=tuple(pixels), access=access)


_ACCESS = "ACCESS#"
"""A partner's access to an offer (``OfferAccess``), in the offer's partition: ``ACCESS#<partner>``."""

ACCESS_LISTED = "offer_access"
ACCESS_PENDING = "offer_access_pending"
"""The ``kind`` (by_kind index) of an access item: a pending application is listed apart, so the
network's queue of applications is one Query of only what waits for a decision."""


def get_doc(pk: str, sk: str) -> dict[str, Any] | None:
    item = client().get_item(TableName=config_table(), Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")
    if not item:
        return None
    doc: dict[str, Any] = as_written(from_item(item)["doc"])
    return doc


def get_partner(partner_id: str) -> Partner | None:
    doc = get_doc(f"PARTNER#{partner_id}", "PROFILE")
    return Partner.from_dict(doc) if doc else None


def get_advertiser(advertiser_id: str) -> Advertiser | None:
    doc = get_doc(f"ADV#{advertiser_id}", "PROFILE")
    return Advertiser.from_dict(doc) if doc else None


def get_goal_offer(goal_id: str) -> str | None:
    """Which offer owns a goal id (goal ids are network-wide, as in TUNE)."""
    doc = get_doc(f"GOAL#{goal_id}", "OFFER")
    return str(doc["offer_id"]) if doc else None


def get_network_settings() -> NetworkSettings:
    return NetworkSettings.from_dict(get_doc("NETWORK", "SETTINGS"))


def get_payout_structures(structure_ids: Iterable[str]) -> list[PayoutStructure]:
    found: list[PayoutStructure] = []
    for structure_id in structure_ids:
        doc = get_doc(f"STRUCTURE#{structure_id}", "PROFILE")
        if doc:
            found.append(PayoutStructure.from_dict(doc))
    return found


_PK_PREFIX: dict[str, str] = {
    "advertiser": "ADV#",
    "partner": "PARTNER#",
    "offer": "OFFER#",
    "structure": "STRUCTURE#",
    "tier": "TIER#",
}


def next_id(kind: str) -> str:
    """Numeric ids, as networks coming from TUNE expect (offer_id=12, goal_id=7)."""
    response = client().update_item(
        TableName=config_table(),
        Key={"pk": {"S": "COUNTER"}, "sk": {"S": kind}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return str(int(response["Attributes"]["n"]["N"]))


def entity_key(kind: str, entity_id: str, parent_offer_id: str = "") -> tuple[str, str]:
    """Where each kind of configuration lives (offer-scoped kinds share the offer's partition)."""
    if kind == "goal":
        return f"OFFER#{parent_offer_id}", f"GOAL#{entity_id}"
    if kind == "offer":
        return f"OFFER#{entity_id}", "OFFER"
    if kind == "custom_payout":
        return f"OFFER#{parent_offer_id}", f"PAYOUT#{entity_id}"
    if kind == "partner_pixel":
        return f"OFFER#{parent_offer_id}", f"PIXEL#{entity_id}"
    if kind == "offer_access":
        return f"OFFER#{parent_offer_id}", f"{_ACCESS}{entity_id}"
    if kind == "network":
        return "NETWORK", "SETTINGS"
    return f"{_PK_PREFIX[kind]}{entity_id}", "PROFILE"


def save_entity(
    kind: str,
    entity_id: str,
    doc: Mapping[str, Any],
    *,
    audit: "Audit",
    parent_offer_id: str = "",
    expected_version: int | None = None,
    extra_items: Sequence[dict[str, Any]] = (),
    listed_as: str = "",
) -> bool:
    """Create (no expected version) or replace at the expected version, with its audit record.

    Both go in one transaction: a change without its audit entry never happens. Returns
    False when the expected version was not the stored one (another admin saved first).
    ``listed_as``: the item's ``kind`` in the by_kind index when it is not ``kind`` itself.
    """
    pk, sk = entity_key(kind, entity_id, parent_offer_id)
    version = 1 if expected_version is None else expected_version + 1
    stored_doc = {**doc, "version": version}
    put: dict[str, Any] = {
        "TableName": config_table(),
        "Item": to_item(
            {"pk": pk, "sk": sk, "kind": listed_as or kind, "version": version, "doc": stored_doc}
        ),
    }
    if expected_version is None:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": {"N": str(expected_version)}}
    audit = audit._replace(after=stored_doc)
    from goalpost.store.audit_store import audit_put  # admin writes only: not on the tracking paths

    items = [{"Put": put}, audit_put(kind, entity_id, parent_offer_id, audit), *extra_items]
    for attempt in range(_CONFLICT_RETRIES + 1):
        try:
            client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return True
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            for reason, item in zip(reasons, items, strict=False):
                pk = str(item.get("Put", {}).get("Item", {}).get("pk", {}).get("S", ""))
                if reason.get("Code") == "ConditionalCheckFailed" and pk.startswith("IDEMPOTENCY#"):
                    raise AlreadyCreated(from_item(reason.get("Item") or {})) from None
            for reason, item in zip(reasons, items, strict=False):  # a replay first, then the bound
                limit_pk = str(item.get("Update", {}).get("Key", {}).get("pk", {}).get("S", ""))
                if reason.get("Code") == "ConditionalCheckFailed" and limit_pk.startswith("LIMIT#"):
                    raise LimitReached(limit_pk) from None
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            # Another transaction on the same items (a concurrent retry writing the same
            # Idempotency-Key): once it is over, this one commits or meets its condition.
            if attempt == _CONFLICT_RETRIES or not any(
                r.get("Code") == "TransactionConflict" for r in reasons
            ):
                raise
    raise AssertionError("unreachable")


_CONFLICT_RETRIES = 3


IDEMPOTENCY_SECONDS = 86400
"""How long a create's Idempotency-Key is remembered (retries come within minutes)."""


class AlreadyCreated(Exception):
    """A create whose Idempotency-Key was used before: the guard names what that request made."""

    def __init__(self, guard: Mapping[str, Any]) -> None:
        super().__init__("idempotency key used before")
        self.guard = dict(guard)


def idempotency_item(
    key_hash: str, request_hash: str, kind: str, entity_id: str, parent_offer_id: str, now: int
) -> dict[str, Any]:
    """The guard a create writes in its own transaction: a second create with the key fails."""
    return {
        "Put": {
            "TableName": config_table(),
            "Item": to_item(
                {
                    "pk": f"IDEMPOTENCY#{key_hash}",
                    "sk": "IDEMPOTENCY",
                    "request_hash": request_hash,
                    "entity_kind": kind,
                    "entity_id": entity_id,
                    "parent_offer_id": parent_offer_id,
                    "expires_at": now + IDEMPOTENCY_SECONDS,
                }
            ),
            "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def get_idempotency(key_hash: str, now: int) -> dict[str, Any] | None:
    """The guard a request's Idempotency-Key wrote, while it is remembered (None: unused key)."""
    item = (
        client()
        .get_item(
            TableName=config_table(),
            Key={"pk": {"S": f"IDEMPOTENCY#{key_hash}"}, "sk": {"S": "IDEMPOTENCY"}},
            ConsistentRead=True,
        )
        .get("Item")
    )
    if not item:
        return None
    guard = from_item(item)
    return guard if int(guard.get("expires_at", 0)) >= now else None


def delete_entity(
    kind: str,
    entity_id: str,
    *,
    audit: "Audit",
    expected_version: int,
    parent_offer_id: str = "",
    extra_items: Sequence[dict[str, Any]] = (),
) -> bool:
    """Only for configuration nothing refers to (partner pixels, custom payouts), on condition
    it is still at the version the caller read (False: it changed or went meanwhile)."""
    from goalpost.store.audit_store import audit_put

    pk, sk = entity_key(kind, entity_id, parent_offer_id)
    delete = {
        "TableName": config_table(),
        "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
        "ConditionExpression": "version = :v",
        "ExpressionAttributeValues": {":v": {"N": str(expected_version)}},
    }
    try:
        client().transact_write_items(
            TransactItems=[
                {"Delete": delete},  # type: ignore[typeddict-item]
                audit_put(kind, entity_id, parent_offer_id, audit),  # type: ignore[list-item]
                *extra_items,  # type: ignore[list-item]
            ]
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            reasons = error.response.get("CancellationReasons", [])  # type: ignore[typeddict-item]
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
        raise
    return True


class LimitReached(Exception):
    """A create would pass a bound kept by a counter item (``slot_item``): nothing was written."""


def slot_item(scope: str, limit: int) -> dict[str, Any]:
    """Take one of ``limit`` slots of ``scope`` in the create's own transaction (so concurrent
    creates cannot pass the bound): the transaction fails, ``LimitReached``, when all are taken."""
    return {
        "Update": {
            "TableName": config_table(),
            "Key": {"pk": {"S": f"LIMIT#{scope}"}, "sk": {"S": "LIMIT"}},
            "UpdateExpression": "ADD n :one",
            "ConditionExpression": "attribute_not_exists(n) OR n < :limit",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": str(limit)}},
        }
    }


def slot_release(scope: str) -> dict[str, Any]:
    """Give a slot back, in the delete's own transaction (unconditionally: what was created
    before the bound took no slot, and its delete must still go through)."""
    return {
        "Update": {
            "TableName": config_table(),
            "Key": {"pk": {"S": f"LIMIT#{scope}"}, "sk": {"S": "LIMIT"}},
            "UpdateExpression": "ADD n :minus",
            "ExpressionAttributeValues": {":minus": {"N": "-1"}},
        }
    }


def index_item(pk: str, sk: str, kind: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """A lookup item (goal id -> offer, API key hash -> partner) written with its entity."""
    return {
        "Put": {"TableName": config_table(), "Item": to_item({"pk": pk, "sk": sk, "kind": kind, "doc": doc})}
    }


def delete_item(pk: str, sk: str) -> dict[str, Any]:
    return {"Delete": {"TableName": config_table(), "Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}


def get_entity(kind: str, entity_id: str, parent_offer_id: str = "") -> dict[str, Any] | None:
    pk, sk = entity_key(kind, entity_id, parent_offer_id)
    return get_doc(pk, sk)


def list_entities(kind: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    query = {
        "TableName": config_table(),
        "IndexName": "by_kind",
        "KeyConditionExpression": "kind = :k",
        "ExpressionAttributeValues": {":k": {"S": kind}},
    }
    return query_page(query, limit, cursor, docs=True)


def access_listed_as(state: str) -> str:
    """Where an access item in ``state`` is listed (by_kind): pending applications apart."""
    return ACCESS_PENDING if state == "applied" else ACCESS_LISTED


def pending_access_page(*, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """The network's applications waiting for a decision, offer by offer (one Query a page)."""
    return list_entities(ACCESS_PENDING, limit=limit, cursor=cursor)


def offer_access_page(offer_id: str, *, limit: int, cursor: Mapping[str, Any] | None = None) -> Page:
    """One page of an offer's access items (applications and grants, by partner id)."""
    return offer_items_page(offer_id, _ACCESS, limit=limit, cursor=cursor)


def offer_items_page(
    offer_id: str, prefix: str, *, limit: int, cursor: Mapping[str, Any] | None = None
) -> Page:
    """One page of an offer's documents of one kind (goals, payouts, pixels)."""
    query = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"OFFER#{offer_id}"}, ":prefix": {"S": prefix}},
    }
    return query_page(query, limit, cursor, docs=True)


def offer_items(offer_id: str, prefix: str) -> list[dict[str, Any]]:
    """Documents of one kind in an offer's partition (goals, payouts, pixels), admin side."""
    query = {
        "TableName": config_table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": f"OFFER#{offer_id}"}, ":prefix": {"S": prefix}},
    }
    return [as_written(item["doc"]) for item in all_pages(query)]


def api_key_digest(api_key: str) -> str:
    """Partner API keys are stored only as their SHA-256."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def api_key_item(digest: str, partner_id: str) -> dict[str, Any]:
    """The lookup item of a partner's key, written with the partner."""
    return index_item(f"APIKEY#{digest}", "PARTNER", "api_key", {"partner_id": partner_id})


def retired_api_key_item(digest: str) -> dict[str, Any]:
    return delete_item(f"APIKEY#{digest}", "PARTNER")


def partner_for_api_key(api_key: str) -> str | None:
    """The partner a key belongs to now (None for an unknown, rotated or empty key)."""
    if not api_key:
        return None
    doc = get_doc(f"APIKEY#{api_key_digest(api_key)}", "PARTNER")
    return str(doc["partner_id"]) if doc else None
