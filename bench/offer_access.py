"""Offer access on the click path (README, Offer access): what a click costs on a public offer
and on a private one the partner was given access to, warm and with a cold config cache; and
what the offer bundle's read (the one Query a cold cache makes, every ``CONFIG_CACHE_SECONDS`` per
container) weighs as partners' access items pile up in the offer's partition.

Requests are counted on moto through the goalpost client's own events; read units are worked
out from the items the Query returned, by DynamoDB's sizing rules (``bench.capacity``).
"""

from __future__ import annotations

import os
from typing import Any

ACCESS_ITEMS = (0, 100, 1000)


def access_bench() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    import goalpost_local.dynamodb  # noqa: F401 - moto as the local runtime runs it (lean transaction backups)
    from bench.__main__ import BENCH_ENV
    from bench.capacity import item_size, read_units

    os.environ.update({k: v for k, v in BENCH_ENV.items() if k != "PYTHONPATH"})
    os.environ["CONFIG_CACHE_SECONDS"] = "3600"
    with mock_aws():
        from goalpost.model.partner_terms import OfferAccess
        from goalpost.store import config_cache, dynamo
        from goalpost.store.dynamo import config_table, to_item
        from goalpost_local.template import create_tables, function_environment

        raw = boto3.client("dynamodb", region_name="us-east-1")
        os.environ.update(function_environment(create_tables(raw, prefix="benchaccess")))
        dynamo.reset_client()
        config_cache.clear()
        from tests.helpers import admin, call, setup_network

        calls: list[dict[str, Any]] = []

        def before(model: Any, **_: Any) -> None:
            calls.append({"op": model.name})

        def after(model: Any, parsed: dict[str, Any], **_: Any) -> None:
            calls[-1]["items"] = parsed.get("Items", [])

        events = dynamo.client().meta.events
        events.register("before-parameter-build.dynamodb", before)
        events.register("after-call.dynamodb", after)

        def click(offer_id: str, partner_id: str, cold: bool) -> dict[str, Any]:
            if cold:
                config_cache.clear()
            calls.clear()
            answer = call("ClickFunction", "GET", "/aff_c", f"offer_id={offer_id}&aff_id={partner_id}")
            bundle = [c for c in calls if c["op"] == "Query"]
            size = sum(item_size(i) for c in bundle for i in c["items"])
            return {
                "status": answer["statusCode"],
                "requests": [c["op"] for c in calls],
                "bundle_bytes": size,
                "bundle_rcu": read_units(size, False) if bundle else 0.0,
            }

        rows: dict[str, Any] = {}
        public = setup_network()
        offer_id, partner_id = public["offer"]["offer_id"], public["partner"]["partner_id"]
        rows["public, cold cache"] = click(offer_id, partner_id, cold=True)
        rows["public, warm"] = click(offer_id, partner_id, cold=False)
        private = setup_network(offer={"access": "private"})
        offer_id, partner_id = private["offer"]["offer_id"], private["partner"]["partner_id"]
        status, granted = admin(
            "PUT", f"/admin/offers/{offer_id}/access/{partner_id}", {"state": "approved", "note": "deal"}
        )
        assert status == 200, granted
        rows["private, access given, cold cache"] = click(offer_id, partner_id, cold=True)
        rows["private, access given, warm"] = click(offer_id, partner_id, cold=False)
        refused = click(offer_id, public["partner"]["partner_id"], cold=False)
        rows["private, no access, warm (403, recorded)"] = refused

        # many partners' applications in one offer's partition (written as the store writes them)
        stored = raw.get_item(
            TableName=config_table(),
            Key={"pk": {"S": f"OFFER#{offer_id}"}, "sk": {"S": f"ACCESS#{partner_id}"}},
        )["Item"]
        per_item = item_size(stored)
        piled: dict[int, Any] = {}
        written = 0
        for count in ACCESS_ITEMS:
            while written < count:
                other = str(10_000 + written)
                doc = OfferAccess(
                    offer_id,
                    other,
                    "applied",
                    note="my traffic: email, 40k",
                    applied_at="2026-12-01T10:00:00.000Z",
                )
                item = {"pk": f"OFFER#{offer_id}", "sk": f"ACCESS#{other}", "kind": "offer_access_pending",
                        "version": 1, "doc": {**doc.to_dict(), "version": 1}}  # fmt: skip
                raw.put_item(TableName=config_table(), Item=to_item(item))
                written += 1
            row = click(offer_id, partner_id, cold=True)
            piled[count] = {"bundle_bytes": row["bundle_bytes"], "bundle_rcu": row["bundle_rcu"]}
        events.unregister("before-parameter-build.dynamodb", before)
        events.unregister("after-call.dynamodb", after)
    return {"clicks": rows, "access_item_bytes": per_item, "bundle_with_access_items": piled}


if __name__ == "__main__":
    import json

    print(json.dumps(access_bench(), indent=2))
