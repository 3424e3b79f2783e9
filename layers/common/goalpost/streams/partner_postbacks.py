"""Partner postbacks: told to partners when their conversion is approved, or reversed.

Two steps, so that no partner can delay or drop another's postbacks:

1. ``plan``, fed by the conversions stream: each (conversion, transition, pixel) becomes a
   delivery, recorded first (DynamoDB) and then queued (SQS, one message per delivery). Only
   our own storage can fail here.
2. ``deliver_message``, fed by the queue: one delivery, one GET with a total deadline, signed
   at send time. A failure is retried by the queue with growing back-off; after the queue's
   ``maxReceiveCount`` the whole message moves to the dead-letter queue, and the delivery
   record (status, attempts, last error) lets an admin retry it.

Every approval transition is its own delivery (approved, reversed, approved again: ids
``<conversion>.approved.<pixel>``, ``.reversal.``, ``.approved-2.``...); a delivered one is
never sent twice. Requests go only to public http(s) addresses (an SSRF guard that the local
runtime relaxes for its own tests with ``GOALPOST_ALLOW_PRIVATE_POSTBACKS=1``).
"""

import hashlib
import hmac
import http.client
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, NamedTuple
from urllib.parse import urlsplit

from goalpost import settings, telemetry
from goalpost.model import clock
from goalpost.model.conversion import CLAWBACK, CONVERSION, TEST, Conversion
from goalpost.model.ids import iso_timestamp
from goalpost.model.offer import DEFAULT_GOAL_ID, OfferBundle
from goalpost.model.redact import redacted_url
from goalpost.rules.macros import PARTNER_PORTS, UnsafeUrl, conversion_macros, expand_url
from goalpost.rules.status import approval_transitions
from goalpost.store import config_cache, delivery_store, dynamo, secret_store
from goalpost.streams import outbox

logger = logging.getLogger("goalpost.partner_postbacks")

EventKind = Literal["approved", "reversal"]
CONNECT_TIMEOUT = 2.0
USER_AGENT = "Goalpost-Postback/2.0"
RESPONSE_BYTES = 65536
READ_BACKSTOP = CONNECT_TIMEOUT
"""A socket read waits at most the deadline and this much: the deadline's timer ends the
attempt (DeadlineExceeded); the socket's own timeout, no earlier than the timer even when its
thread is scheduled late on a busy machine, is only the backstop."""


def attempt_deadline() -> float:
    """Seconds one attempt may take in all: connect, send and read (a trickling server included)."""
    return settings.delivery_deadline_seconds()


def backoff_seconds(receive_count: int) -> int:
    """How long a failed delivery waits before its next try: base x 2^(tries - 1), at most 1 h."""
    base = settings.delivery_backoff_seconds()
    return int(min(base * 2 ** max(receive_count - 1, 0), 3600))


class DeliveryEvent(NamedTuple):
    kind: EventKind
    conversion: Conversion
    transition: int = 1
    """Which time this conversion becomes approved (or is reversed): 1, 2, 3..."""


def event_of(record: Mapping[str, Any]) -> DeliveryEvent | None:
    """What a conversions-stream record means for partners (None: nothing to tell them).

    Approved at once (INSERT) or later (MODIFY into approved) tells the partner, each time it
    happens; a clawback (an approved conversion reversed) fires the reversal postback.
    Pending, rejected and private-goal conversions never reach a partner; a test conversion
    only when its tester asked (``test_delivery``), as a test.
    """
    images = record.get("dynamodb", {})
    new = dynamo.from_item(images.get("NewImage") or {})
    old = dynamo.from_item(images.get("OldImage") or {})
    if new.get("kind") not in (CONVERSION, CLAWBACK) or new.get("private"):
        return None  # goal clicks, impressions, deliveries, guards; private goals pay no partner
    conversion = Conversion.from_dict(new)
    if conversion.is_clawback:
        inserted = record.get("eventName") == "INSERT"
        return DeliveryEvent("reversal", conversion, conversion.transition or 1) if inserted else None
    if conversion.status == TEST:  # told only when the tester asked, once, marked as a test
        asked = conversion.test_delivery and record.get("eventName") == "INSERT"
        return DeliveryEvent("approved", conversion, 1) if asked else None
    if conversion.status != "approved":
        return None
    if record.get("eventName") == "INSERT" or old.get("status") != "approved":
        return DeliveryEvent("approved", conversion, max(approval_transitions(conversion)[0], 1))
    return None


def signed_content(timestamp: int, method: str, url: str, event: str, delivery_id: str) -> str:
    """Everything a receiver acts on: when, what request, which event, which delivery."""
    return f"{timestamp}.{method}.{url}.{event}.{delivery_id}"


def signature(secret: str, timestamp: int, method: str, url: str, event: str, delivery_id: str) -> str:
    """``X-Goalpost-Signature``: ``t=<unix time>,v2=<hex HMAC-SHA256 of signed_content>``."""
    content = signed_content(timestamp, method, url, event, delivery_id)
    mac = hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v2={mac}"


class UnsafeDestination(ValueError):
    """A partner URL we will not call (scheme, or an address inside a private network)."""


class UnresolvedHost(ConnectionError):
    """The partner's host name did not resolve (now): DNS failures are transient (a partner's
    zone being moved, a resolver's outage), so the delivery is retried on its back-off like a
    5xx answer, never refused for good."""


_BLOCKED_V6 = (
    ipaddress.ip_network("::/96"),  # IPv4-compatible (::127.0.0.1), and :: itself
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64: reaches any IPv4 address, private ones too
    ipaddress.ip_network("64:ff9b:1::/48"),  # local-use NAT64
    ipaddress.ip_network("2002::/16"),  # 6to4: embeds an IPv4 address
)


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A partner address we may call: global unicast, and no IPv6 form that wraps an IPv4 one."""
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None or any(address in net for net in _BLOCKED_V6):
            return False
    return True


def resolve_destination(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, ip) for a public http(s) URL on port 80 or 443; the IP is what we connect to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeDestination(f"only http(s) URLs are called, not {parts.scheme or 'no scheme'}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeDestination("the URL's port is not a number from 0 to 65535") from None
    allow_private = settings.allow_private_postbacks()
    if port not in PARTNER_PORTS and not allow_private:
        raise UnsafeDestination(f"partner postbacks go to ports 80 and 443 only, not {port}")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnresolvedHost(f"cannot resolve {parts.hostname}: {error}") from None
    ip = str(infos[0][4][0])
    if not is_public(ipaddress.ip_address(ip)) and not allow_private:
        raise UnsafeDestination(f"{parts.hostname} resolves to non-public address {ip}")
    return parts.scheme, parts.hostname, port, ip


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to the address we checked (no second DNS lookup), verified for the host name."""

    def __init__(self, host: str, ip: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip
        self._budget = timeout

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), timeout=min(CONNECT_TIMEOUT, self._budget))
        sock.settimeout(self._budget + READ_BACKSTOP)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, ip: str, port: int, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._ip = ip
        self._budget = timeout

    def connect(self) -> None:
        self.sock = socket.create_connection(
            (self._ip, self.port), timeout=min(CONNECT_TIMEOUT, self._budget)
        )
        self.sock.settimeout(self._budget + READ_BACKSTOP)


class Answer(NamedTuple):
    """A partner's answer as the trace keeps it: status, headers, the first ``ANSWER_KEPT`` bytes."""

    status: int
    headers: dict[str, str]
    head: str
    took_ms: int


ANSWER_KEPT = 1024
"""How much of a partner's answer a delivery record (and the tester) keeps: the first 1 KB."""


class DeadlineExceeded(TimeoutError):
    """The attempt as a whole took longer than its deadline (a slow or trickling server)."""


def send(url: str, headers: Mapping[str, str], deadline: float | None = None) -> Answer:
    """One GET within ``deadline`` seconds in all, no redirects followed; returns the answer.

    Socket timeouts bound each read, not the attempt: a server trickling a byte a second
    would hold it for ever. A timer shuts the socket down at the deadline, which ends any
    read in progress.
    """
    budget = attempt_deadline() if deadline is None else deadline
    started = time.monotonic()
    scheme, host, port, ip = resolve_destination(url)
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, ip, port, budget)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("socket already closed at the deadline")

    timer = threading.Timer(budget, expire)
    timer.daemon = True
    timer.start()
    try:
        connection.request("GET", target, headers={"User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        body = response.read(RESPONSE_BYTES)
        if expired.is_set():
            raise DeadlineExceeded(f"no complete answer within {budget:g} s")
        return Answer(
            response.status,
            {k: v[:200] for k, v in list(response.getheaders())[:30]},
            body[:ANSWER_KEPT].decode("utf-8", "replace"),
            int((time.monotonic() - started) * 1000),
        )
    except (OSError, http.client.HTTPException):
        if expired.is_set():
            raise DeadlineExceeded(f"no complete answer within {budget:g} s") from None
        raise
    finally:
        timer.cancel()
        connection.close()


class Delivery(NamedTuple):
    """One postback to one partner pixel for one transition of one conversion."""

    delivery_id: str
    offer_id: str
    partner_id: str
    event: EventKind
    url: str
    test: str = ""
    """"1": a test conversion's delivery (sent with ``X-Goalpost-Test: 1``, ``{test}`` = 1)."""

    def as_message(self) -> dict[str, str]:
        return self._asdict()


def delivery_id(conversion_id: str, kind: EventKind, transition: int, pixel_id: str) -> str:
    event = kind if transition <= 1 else f"{kind}-{transition}"
    return f"{conversion_id}.{event}.{pixel_id}"


def planned_deliveries(event: DeliveryEvent, bundle: OfferBundle) -> list[Delivery]:
    """The partner's postback pixels for this offer and goal (default goal: goal 0)."""
    conversion = event.conversion
    goal_id, partner_id = conversion.goal_id or DEFAULT_GOAL_ID, conversion.partner_id
    goal = bundle.goal(goal_id)
    if goal is None or goal.private:
        return []
    values = conversion_macros(conversion, bundle, goal_id)
    conversion_id = conversion.paid_id
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
        if conversion.status == TEST:
            identifier, test = f"{conversion_id}.test.{pixel['pixel_id']}", "1"
        else:
            identifier, test = (
                delivery_id(conversion_id, event.kind, event.transition, str(pixel["pixel_id"])),
                "",
            )
        planned.append(Delivery(identifier, bundle.offer.offer_id, partner_id, event.kind, url, test))
    return planned


def plan(records: Sequence[Mapping[str, Any]], at: str) -> list[str]:
    """Record and queue every record's deliveries; the sequence numbers of records to retry.

    A delivery is recorded before it is queued (a retried batch records nothing twice and
    queues again only what may not have been queued: the sender skips what was delivered).
    Nothing here waits on a partner.
    """
    bundles: dict[str, OfferBundle | None] = {}  # one read per offer per batch, whatever the cache age
    for record in records:
        event = event_of(record)
        if event is None:
            continue
        offer_id = event.conversion.offer_id
        if offer_id not in bundles:
            bundles[offer_id] = config_cache.offer_bundle(offer_id)
        bundle = bundles[offer_id]
        if bundle is None:
            continue
        deliveries = planned_deliveries(event, bundle)
        try:
            for delivery in deliveries:
                delivery_store.record_delivery({k: v for k, v in delivery._asdict().items() if v}, at)
            outbox.enqueue(d.as_message() for d in deliveries)
        except Exception:  # storage or queue: ours to retry, from this record on, in order
            logger.exception("deliveries of a stream record could not be recorded or queued")
            return [str(record["dynamodb"]["SequenceNumber"])]
    return []


class Attempt(NamedTuple):
    delivered: bool
    retry: bool
    """False when nothing a retry can change (delivered, refused, unknown)."""


def attempt(offer_id: str, identifier: str, now: int, at: str, receives: int = 0) -> Attempt:
    """One try of one recorded delivery: sign now, send within the deadline, record the outcome.

    The outcome's record keeps what the trace shows: the URL sent (secrets redacted), the
    status, the first 1 KB of the answer, the time taken and, for a queued try that failed
    (``receives``: the queue's count), when the queue tries it next."""
    record = delivery_store.get_delivery(offer_id, identifier)
    if record is None:
        logger.warning("delivery %s has no record: nothing to send", identifier)
        return Attempt(False, False)
    if record.get("status") == "delivered":
        return Attempt(True, False)  # delivered before (a redelivered message): never twice
    lease_from = iso_timestamp(now - 2 * attempt_deadline() - CONNECT_TIMEOUT)
    started = delivery_store.begin_delivery(offer_id, identifier, at, lease_from)
    if started != "go":
        return Attempt(started == "delivered", started == "busy")
    url, event = str(record["url"]), str(record.get("event", "approved"))
    headers = {"X-Goalpost-Delivery": identifier, "X-Goalpost-Event": event}
    if record.get("test"):
        headers["X-Goalpost-Test"] = "1"
    partner_id = str(record.get("partner_id", ""))
    secret = secret_store.partner_postback_secret(partner_id)
    if not secret:  # a partner created before secrets had a table of their own
        partner = config_cache.partner(partner_id)
        secret = partner.postback_secret if partner is not None else ""
    if secret:
        headers["X-Goalpost-Signature"] = signature(secret, now, "GET", url, event, identifier)
    sent = redacted_url(url)
    began = time.monotonic()

    def finish(status: str, answer: Answer | None, error: str) -> None:
        retry_at = ""
        if status == "failed" and receives:
            retry_at = iso_timestamp(now + backoff_seconds(receives))
        delivery_store.finish_delivery(
            offer_id, identifier, status, answer.status if answer else 0, error, at,
            url_sent=sent, answer_head=answer.head if answer else "",
            took_ms=answer.took_ms if answer else int((time.monotonic() - began) * 1000),
            next_retry_at=retry_at, partner_id=partner_id, attempts=int(record.get("attempts", 0)) + 1,
            was_failing=record.get("status") != "queued",  # failed, refused, or a try that died
            unsharded=delivery_store.listed_unsharded(record),  # listed before the list was sharded
        )  # fmt: skip

    try:
        answer = send(url, headers)
    except UnsafeDestination as error:
        finish("refused", None, str(error))
        _delivery_line("refused", identifier, record, f"postback {identifier} refused: {error}", "WARNING")
        return Attempt(False, False)
    except (OSError, http.client.HTTPException) as error:
        finish("failed", None, f"{type(error).__name__}: {error}"[:200])
        _delivery_line("failed", identifier, record, f"postback {identifier} failed: {type(error).__name__}")
        return Attempt(False, True)
    delivered = 200 <= answer.status < 300
    outcome = "delivered" if delivered else "failed"
    finish(outcome, answer, "")
    _delivery_line(outcome, identifier, record, f"postback {identifier} {outcome}: HTTP {answer.status}")
    return Attempt(delivered, not delivered)


def _delivery_line(
    outcome: str, identifier: str, record: Mapping[str, Any], message: str, level: str = "INFO"
) -> None:
    telemetry.emit(
        None, code=outcome, message=message, metric=telemetry.DELIVERIES, level=level,
        deliveryId=identifier, partnerId=str(record.get("partner_id", "")),
        deliveryEvent=str(record.get("event", "")),
    )  # fmt: skip


def deliver_messages(messages: Sequence[Mapping[str, Any]], now: int, at: str) -> list[str]:
    """Deliver a batch of queued deliveries side by side; the message ids to retry later.

    Each failed message is postponed by its own back-off (the queue counts its receives);
    one slow partner holds its batch for at most one deadline, and no other partner's message.
    """

    def one(sqs_message: Mapping[str, Any]) -> str | None:
        try:
            body = outbox.message(str(sqs_message["body"]))
        except ValueError:
            logger.error("a message that is not a delivery was dropped: %.200s", sqs_message.get("body"))
            return None
        receives = int(sqs_message.get("attributes", {}).get("ApproximateReceiveCount", "1"))
        result = attempt(str(body["offer_id"]), str(body["delivery_id"]), now, at, receives)
        if not result.retry:
            return None
        outbox.postpone(str(sqs_message["receiptHandle"]), backoff_seconds(receives))
        return str(sqs_message["messageId"])

    if not messages:
        return []
    with ThreadPoolExecutor(max_workers=min(len(messages), 10)) as pool:
        return [failed for failed in pool.map(one, messages) if failed is not None]


def redeliver(offer_id: str, identifier: str, now: int, at: str) -> dict[str, Any] | None:
    """An admin's retry of one failed delivery, now; None when there is no such delivery."""
    if delivery_store.get_delivery(offer_id, identifier) is None:
        return None
    attempt(offer_id, identifier, now, at)
    return delivery_store.get_delivery(offer_id, identifier)


def now_and_stamp() -> tuple[int, str]:
    """The time as the handlers pass it: unix seconds, and ISO 8601 in UTC with milliseconds."""
    moment = clock.now()
    return int(moment), iso_timestamp(moment)
