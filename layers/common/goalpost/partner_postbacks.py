"""Partner postbacks: told to partners when their conversion is approved, or reversed.

Fed by the conversions table's stream (never on the advertiser's request path). Each
(conversion, event, pixel) is one delivery whose record makes it idempotent: a retried
batch skips what was already delivered. Requests are signed (HMAC-SHA256 over timestamp
and URL with the partner's postback secret), sent with short timeouts, follow no
redirects, and go only to public http(s) addresses (an SSRF guard that the local runtime
relaxes for its own tests with ``GOALPOST_ALLOW_PRIVATE_POSTBACKS=1``).
"""

import hashlib
import hmac
import http.client
import ipaddress
import logging
import os
import socket
import ssl
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from goalpost import config_cache, store
from goalpost.domain import DEFAULT_GOAL_ID, OfferBundle
from goalpost.macros import UnsafeUrl, conversion_macros, expand_url

logger = logging.getLogger("goalpost.partner_postbacks")

EventKind = Literal["approved", "reversal"]
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 5.0
USER_AGENT = "Goalpost-Postback/1.0"


class DeliveryEvent(NamedTuple):
    kind: EventKind
    conversion: Mapping[str, Any]


def event_of(record: Mapping[str, Any]) -> DeliveryEvent | None:
    """What a conversions-stream record means for partners (None: nothing to tell them).

    Approved at once (INSERT) or later (MODIFY into approved) tells the partner; a clawback
    (an approved conversion reversed) fires the reversal postback. Pending, rejected and
    private-goal conversions never reach a partner.
    """
    images = record.get("dynamodb", {})
    new = store.from_item(images.get("NewImage") or {})
    old = store.from_item(images.get("OldImage") or {})
    if not new or new.get("private"):
        return None
    if new.get("kind") == "clawback" and record.get("eventName") == "INSERT":
        return DeliveryEvent("reversal", new)
    if new.get("kind") != "conversion" or new.get("status") != "approved":
        return None
    if record.get("eventName") == "INSERT" or old.get("status") != "approved":
        return DeliveryEvent("approved", new)
    return None


def signature(secret: str, timestamp: int, method: str, url: str) -> str:
    """``X-Goalpost-Signature``: ``t=<unix time>,v1=<hex HMAC-SHA256 of "t.METHOD.url">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.{method}.{url}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class UnsafeDestination(ValueError):
    """A partner URL we will not call (scheme, or an address inside a private network)."""


def resolve_destination(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, ip) for a public http(s) URL; the IP is what we connect to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination(f"only http(s) URLs are called, not {parts.scheme or 'no scheme'}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeDestination(f"cannot resolve {parts.hostname}: {error}") from None
    ip = str(infos[0][4][0])
    address = ipaddress.ip_address(ip)
    allow_private = os.environ.get("GOALPOST_ALLOW_PRIVATE_POSTBACKS") == "1"
    if not address.is_global and not allow_private:
        raise UnsafeDestination(f"{parts.hostname} resolves to non-public address {ip}")
    return parts.scheme, parts.hostname, port, ip


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the address we checked (no second DNS lookup), verified for the host name."""

    def __init__(self, host: str, ip: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), timeout=CONNECT_TIMEOUT)
        sock.settimeout(self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, ip: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), timeout=CONNECT_TIMEOUT)
        self.sock.settimeout(self.timeout)


def send(url: str, headers: Mapping[str, str]) -> int:
    """One GET, no redirects followed (a 3xx is an answer, not a hop); returns the status."""
    scheme, host, port, ip = resolve_destination(url)
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, ip, port, READ_TIMEOUT)
    try:
        connection.request("GET", target, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()


class Delivery(NamedTuple):
    delivery_id: str
    offer_id: str
    url: str
    headers: Mapping[str, str]


def planned_deliveries(event: DeliveryEvent, bundle: OfferBundle, now: int) -> list[Delivery]:
    """The partner's postback pixels for this offer and goal (default goal: goal 0)."""
    conversion = event.conversion
    goal_id = str(conversion.get("goal_id", DEFAULT_GOAL_ID))
    partner_id = str(conversion.get("partner_id", ""))
    goal = bundle.goal(goal_id)
    if goal is None or goal.private:
        return []
    partner = config_cache.partner(partner_id)
    values = conversion_macros(conversion, bundle, goal_id)
    conversion_id = str(conversion.get("reverses") or conversion.get("conversion_id"))
    planned = []
    for pixel in bundle.pixels:
        if pixel["partner_id"] != partner_id or pixel["goal_id"] != goal_id or pixel["kind"] != "postback":
            continue
        template = pixel["code"] if event.kind == "approved" else pixel.get("reversal_code", "")
        if not template:
            continue
        try:
            url = expand_url(template, values)
        except UnsafeUrl:
            logger.warning("postback pixel %s skipped: macros in its host", pixel["pixel_id"])
            continue
        delivery_id = f"{conversion_id}.{event.kind}.{pixel['pixel_id']}"
        headers = {"X-Goalpost-Delivery": delivery_id, "X-Goalpost-Event": event.kind}
        if partner is not None and partner.postback_secret:
            headers["X-Goalpost-Signature"] = signature(partner.postback_secret, now, "GET", url)
        planned.append(Delivery(delivery_id, bundle.offer.offer_id, url, headers))
    return planned


def deliver(delivery: Delivery, at: str) -> bool:
    """Send one delivery unless it already succeeded; record the attempt. True when delivered."""
    if not store.begin_delivery(delivery.offer_id, delivery.delivery_id, delivery.url, at):
        return True  # delivered before (a retried batch): never twice
    try:
        status = send(delivery.url, delivery.headers)
    except UnsafeDestination as error:
        store.finish_delivery(delivery.offer_id, delivery.delivery_id, "refused", 0, str(error), at)
        logger.warning("postback %s refused: %s", delivery.delivery_id, error)
        return True  # nothing a retry can fix: recorded, not retried
    except (OSError, http.client.HTTPException) as error:
        store.finish_delivery(delivery.offer_id, delivery.delivery_id, "failed", 0, type(error).__name__, at)
        return False
    delivered = 200 <= status < 300
    store.finish_delivery(
        delivery.offer_id, delivery.delivery_id, "delivered" if delivered else "failed", status, "", at
    )
    return delivered


def process_records(records: Sequence[Mapping[str, Any]], now: int, at: str) -> list[str]:
    """Deliver every record's postbacks; the sequence numbers of records still to retry."""
    failures: list[str] = []
    bundles: dict[str, OfferBundle | None] = {}  # one read per offer per batch, whatever the cache age
    for record in records:
        event = event_of(record)
        if event is None:
            continue
        offer_id = str(event.conversion.get("offer_id"))
        if offer_id not in bundles:
            bundles[offer_id] = config_cache.offer_bundle(offer_id)
        bundle = bundles[offer_id]
        if bundle is None:
            continue
        results = [deliver(d, at) for d in planned_deliveries(event, bundle, now)]
        if not all(results):
            failures.append(str(record["dynamodb"]["SequenceNumber"]))
            break  # the event source retries from the first failure, in order
    return failures


def redeliver(offer_id: str, delivery_id: str, now: int, at: str) -> dict[str, Any] | None:
    """An admin's retry of one failed delivery; None when there is no such delivery."""
    record = store.get_delivery(offer_id, delivery_id)
    if record is None:
        return None
    conversion_id, kind, _pixel_id = delivery_id.rsplit(".", 2)
    conversion = store.get_conversion(conversion_id)
    bundle = store.load_offer_bundle(offer_id)
    if conversion is None or bundle is None:
        return None
    if kind == "reversal":
        clawbacks = [
            c
            for c in store.session_conversions(str(conversion["transaction_id"]))
            if c.get("reverses") == conversion_id
        ]
        if not clawbacks:
            return None
        conversion = clawbacks[-1]
    event = DeliveryEvent("reversal" if kind == "reversal" else "approved", conversion)
    for delivery in planned_deliveries(event, bundle, now):
        if delivery.delivery_id == delivery_id:
            deliver(delivery, at)
            return store.get_delivery(offer_id, delivery_id)
    return None
