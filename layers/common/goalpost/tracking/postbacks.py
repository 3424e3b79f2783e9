"""Recording a conversion reported by an advertiser (server postback or pixel).

One strongly consistent read of the session, config from the in-memory cache, then one
write request: a transaction for a new conversion, or an update of the conversion a
duplicate repeats. The pure rules live in ``rules.engine`` and ``rules.payouts``.
"""

import logging
import secrets
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from goalpost.model.conversion import TEST, Conversion
from goalpost.model.conversion_request import ConversionRequest
from goalpost.model.ids import conversion_id_of, iso_timestamp, refusal_id_of
from goalpost.model.offer import Goal, NetworkSettings, Offer, OfferBundle, Partner
from goalpost.model.screening import Screening, Verdict, flags_of, in_force, strongest
from goalpost.model.session import Session
from goalpost.rules import caps
from goalpost.rules.engine import (
    Refusal,
    conversion_fields,
    conversion_record,
    goal_resolution,
    judge,
    sender_refusal,
)
from goalpost.rules.payouts import Worth, custom_payout_of, partner_tier, resolve_payout
from goalpost.rules.screening import too_soon_verdict
from goalpost.rules.status import REJECTIONS_PER_SESSION, adjustment, advertiser_refusal
from goalpost.store import config_cache, conversion_store, counter_store, session_store

if TYPE_CHECKING:
    from goalpost.rules.exchange import Converted, Priced

logger = logging.getLogger("goalpost.postbacks")

RETRY_WINDOW_SECONDS = 600
"""Identical postbacks (every parameter equal) within this window are one postback retried.

Only used on goals that allow multiple conversions and where the advertiser sends no
unique id; send ``conversion_unique_id`` to make repeats explicit instead."""


class Outcome(NamedTuple):
    """What became of a postback or pixel: a code (``web.status`` says it in HTTP), why, which conversion."""

    success: bool
    code: str
    reason: str = ""
    conversion_id: str = ""
    conversion_status: str = ""
    record: Conversion | None = None
    """The conversion as stored, when this request recorded one (pixels fire partner pixels)."""


def _goal_offer(request: ConversionRequest, bundle: OfferBundle) -> str | None:
    """Only on the rare path where a goal id is not on the session's offer."""
    if request.goal_id is None or bundle.goal(request.goal_id) is not None:
        return None
    return config_cache.goal_offer(request.goal_id)


def _refuse(
    refusal: Refusal,
    request: ConversionRequest,
    session: Session,
    bundle: OfferBundle,
    now: float,
    flags: tuple[str, ...] = (),
) -> Outcome:
    """Record why a real session's conversion was refused (bounded per session), then answer.

    A refusal is stored under the goal it resolved to, or under no goal at all: never under
    the sender's raw words as if they were a goal id, nor under the default goal's name.
    """
    suffix = secrets.token_hex(4)
    record = conversion_record(
        request,
        session,
        bundle,
        refusal.goal,
        conversion_id=refusal_id_of(session.transaction_id, suffix),
        status="rejected",
        status_code=refusal.code,
        worth=None,
        created_at=iso_timestamp(now),
        note=refusal.reason,
    )._replace(flags=flags)
    if request.query:
        from goalpost.model.redact import redacted_query  # refusals only: off the valid path

        record = record._replace(request_query=redacted_query(request.query))
    stored = conversion_store.insert_rejection(record, limit=REJECTIONS_PER_SESSION)
    logger.info("conversion refused", extra={"code": refusal.code, "stored": stored})
    return Outcome(False, refusal.code, refusal.reason)


def _duplicate(key: Mapping[str, object], code: str, now: float) -> Outcome:
    existing = conversion_store.note_duplicate(key, iso_timestamp(now))
    reason = {
        "duplicate": "duplicate conversion: this goal already converted in this session",
        "duplicate_unique_id": "duplicate conversion: unique id already seen on this offer",
        "duplicate_retry": "duplicate conversion: identical postback already recorded (retry)",
    }[code]
    return Outcome(
        False,
        code,
        reason,
        conversion_id=existing.conversion_id if existing else "",
        conversion_status=existing.status if existing else "",
    )


class Judged(NamedTuple):
    session: Session
    bundle: OfferBundle
    network: NetworkSettings
    partner: Partner | None
    verdict: Goal | Refusal
    screening: Screening


def _judged(request: ConversionRequest, now: float) -> Judged | Outcome:
    """The session, its offer and the verdict of every gate; an Outcome when nothing matches."""
    session = session_store.get_session(request.transaction_id)
    if session is None or session.redirected:  # a redirected click's record is no session
        return Outcome(False, "unknown_transaction", "transaction_id matches no session")
    bundle = config_cache.offer_bundle(session.offer_id)
    if bundle is None:
        raise LookupError(f"session {session.transaction_id} names missing offer {session.offer_id}")
    network = config_cache.network()
    partner = config_cache.partner(session.partner_id)
    screening = in_force(network.screening, bundle.offer.screening)
    verdict = judge(
        request,
        session,
        bundle,
        network=network,
        partner=partner,
        advertisers=config_cache.advertiser,
        goal_offer_id=_goal_offer(request, bundle),
        now=now,
        screening=screening,
    )
    return Judged(session, bundle, network, partner, verdict, screening)


def record_goal_click(request: ConversionRequest, now: float) -> Outcome:
    """The goal click pixel: a visit to a goal's page, counted for the funnel, never paid."""
    judged = _judged(request, now)
    if isinstance(judged, Outcome):
        return judged
    session, bundle, _network, _partner, verdict, _screening = judged
    if isinstance(verdict, Refusal):
        return Outcome(False, verdict.code, verdict.reason)
    counter_store.count_goal_click(
        transaction_id=session.transaction_id,
        offer_id=bundle.offer.offer_id,
        goal_id=verdict.goal_id,
        partner_id=session.partner_id,
        at=iso_timestamp(now),
    )
    return Outcome(True, "goal_click", "")


UNMATCHED_CODES = frozenset(
    {"unknown_transaction", "unknown_offer", "invalid_security_token", "unknown_conversion"}
)
"""Refusals of a request no session's records keep: kept by offer and hour instead (the trace)."""


def _unmatched(request: ConversionRequest, outcome: Outcome, now: float) -> Outcome:
    """Keep a refusal that matched no session, bounded and for a week (``unmatched_store``)."""
    if outcome.success or outcome.code not in UNMATCHED_CODES:
        return outcome
    from goalpost.model.redact import redacted_query  # refusals only: off the valid path
    from goalpost.store import unmatched_store

    record = {
        "code": outcome.code, "reason": outcome.reason, "transaction_id": request.transaction_id[:64],
        "offer_id": request.offer_id or "", "via": request.via, "ip": request.ip[:64],
        "user_agent": request.user_agent[:160], "request_query": redacted_query(request.query or {}),
        "goal_by": goal_resolution(request),
    }  # fmt: skip
    unmatched_store.record_unmatched(
        record, offer_id=request.offer_id or "", at=iso_timestamp(now), now=int(now)
    )
    return outcome


def record_conversion(request: ConversionRequest, now: float) -> Outcome:
    """Decide and record one conversion exactly once, however often it is retried."""
    if request.new_status:
        return _unmatched(request, adjust_status(request, now), now)
    judged = _judged(request, now)
    if isinstance(judged, Outcome):
        return _unmatched(request, judged, now)
    session, bundle, network, partner, verdict, screening = judged
    whole_now = int(now)
    if session.test_link:
        request = _on_test_link(request, session)
    if isinstance(verdict, Refusal):
        return _refuse(verdict, request, session, bundle, now)
    goal: Goal = verdict
    if (
        session.is_closed and not request.test
    ):  # closed by this goal (judge refuses any other): its conversion repeated
        return _duplicate(conversion_store.closing_conversion_key(session), "duplicate", now)
    verdicts = _screen(request, session, bundle.offer, goal, screening, now)
    decided = strongest(verdicts)
    flags = flags_of(verdicts)
    if decided is not None and decided.action == "refuse":
        return _refuse(Refusal(decided.code, decided.reason, goal), request, session, bundle, now, flags)

    offer = bundle.offer

    def worth_of(amount: Decimal | None) -> Worth:
        return resolve_payout(
            goal,
            tier_id=partner_tier(partner, network),
            custom_payout=custom_payout_of(goal, bundle, session.partner_id),
            structures=config_cache.payout_structures(goal.payout_structure_ids),
            fields={**conversion_fields(request, amount), **session.subs},
            amount=amount,
        )

    partner_currency = (partner.currency if partner is not None else "") or offer.currency
    currencies = (request.currency or offer.currency, offer.currency, partner_currency, network.currency)
    if len(set(currencies)) == 1:  # one currency: nothing is converted, read or even imported
        sale, worth, money = None, worth_of(request.amount), None
    else:
        from goalpost.rules.exchange import Currencies, NoRate, exchanged

        day = iso_timestamp(now)[:10]
        converted = exchanged(
            request.amount, Currencies(*currencies), config_cache.exchange_rates(day), day, worth_of
        )
        if isinstance(converted, NoRate):
            refusal = Refusal("no_exchange_rate", converted.reason, goal)
            return _refuse(refusal, request, session, bundle, now, flags)
        sale, worth, money = converted
    if request.test:
        return _record_test(request, session, bundle, goal, worth, sale, money, now)
    suffix = secrets.token_hex(6) if goal.allow_multiple else ""
    conversion_id = conversion_id_of(session.transaction_id, goal.goal_id, suffix)
    if decided is not None and decided.action == "hold":
        status, status_code = "pending", decided.code  # held for review, with the reason
    elif goal.approve:
        status, status_code = "pending", "approval_pending"
    else:
        status, status_code = "approved", f"approved_{request.via}"
    record = conversion_record(
        request, session, bundle, goal, conversion_id=conversion_id, status=status,
        status_code=status_code, worth=worth, created_at=iso_timestamp(now), sale=sale, money=money,
        note=decided.reason if decided is not None else "",
    )._replace(flags=flags)  # fmt: skip
    order_id = (request.adv_subs or {}).get("adv_sub", "")
    if screening.unique_order_ids and order_id:
        # The offer says order ids are unique: adv_sub guards the offer like a unique id (TUNE 18).
        record = record._replace(unique_ids={**record.unique_ids, "adv_sub": order_id})
    insert = partial(
        conversion_store.insert_conversion,
        now=whole_now,
        end_point=goal.end_point,
        fingerprint=request.fingerprint if goal.allow_multiple and not request.unique_ids else "",
        retry_window_seconds=RETRY_WINDOW_SECONDS,
    )
    result, capped = _insert_within_caps(record, insert, offer, session.partner_id, worth, whole_now)
    if capped is not None:
        if offer.cap_action != "pending":
            offer_wide = capped == "offer_cap_reached"
            who = f"offer {offer.offer_id}" if offer_wide else f"partner {session.partner_id}"
            refusal = Refusal(capped, f"{who} has reached a conversion cap", goal)
            return _refuse(refusal, request, session, bundle, now)
        # Over the cap, recorded for an admin to decide; counted on no cap (an approval is the
        # admin's exception to it).
        status, status_code = "pending", capped
        record = record._replace(status=status, status_code=status_code)
        result = insert(record, counters=())
    if isinstance(result, conversion_store.Duplicate):
        return _duplicate(result.key, result.code, now)
    if isinstance(result, conversion_store.SessionRefused):
        refusal = Refusal(result.code, f"session is {result.code.removeprefix('session_')}", goal)
        if result.code == "unknown_transaction":
            return Outcome(False, result.code, "transaction_id matches no session")
        return _refuse(refusal, request, session, bundle, now)
    return Outcome(
        True, status_code, "", conversion_id=conversion_id, conversion_status=status, record=record
    )


def _on_test_link(request: ConversionRequest, session: Session) -> ConversionRequest:
    """A session an admin's test link opened: its conversions are ``employee_test`` (TUNE 21),
    told to the partner when the link says so. A token this network did not sign for this
    offer and partner changes nothing (the conversion is judged as any other)."""
    from goalpost.rules.signing import verify_test_link  # test sessions only: off the valid path
    from goalpost.store import signing_keys

    link = verify_test_link(session.test_link, signing_keys.keyring())
    if link is None or (link.offer_id, link.partner_id) != (session.offer_id, session.partner_id):
        logger.warning("a click's test token is not a valid test link of its offer and partner: ignored")
        return request
    delivery = request.test_delivery or link.deliver
    return request._replace(test=True, test_code="employee_test", test_delivery=delivery)


def _screen(
    request: ConversionRequest, session: Session, offer: Offer, goal: Goal, screening: Screening, now: float
) -> list[Verdict]:
    """The screening rules over a conversion the judge let through: too soon after the click
    (when its rule holds or flags: refusing, the judge refused it), then the IP rules.

    A test conversion is not screened: it is never paid or counted, so there is nothing to
    protect, and an advertiser's QA test from its office must neither take a real visitor's
    place in the conversion rate nor be stored as a rejection the partner sees."""
    verdicts: list[Verdict] = []
    if request.test:
        return verdicts
    soon = too_soon_verdict(
        caps.lookback_refusal(offer.lookback(goal), session.created_at, now), screening.too_soon
    )
    if soon is not None:
        verdicts.append(soon)
    if screening.ip_mismatch.on or screening.conversion_rate.on:
        from goalpost.tracking.screening import screen_conversion

        verdicts.extend(
            screen_conversion(request, session, screening, _rate_key(request, session, goal), now=now)
        )
    return verdicts


def _rate_key(request: ConversionRequest, session: Session, goal: Goal) -> str:
    """What the conversion rate counts once: the conversion, not the request. A goal that
    converts once a session is one conversion however it is reported (the pixel and the
    postback of one sale, a retry with other parameters); a multiple-conversion goal's is its
    unique ids when it has them, else the request itself (as the retry guard tells them)."""
    if not goal.allow_multiple:
        return conversion_id_of(session.transaction_id, goal.goal_id)
    if request.unique_ids:
        import hashlib

        named = "|".join(f"{k}={v}" for k, v in sorted(request.unique_ids))
        return hashlib.sha256(f"{session.offer_id}|{named}".encode()).hexdigest()[:32]
    return request.fingerprint[:32] or session.transaction_id


def _record_test(
    request: ConversionRequest,
    session: Session,
    bundle: OfferBundle,
    goal: Goal,
    worth: Worth,
    sale: "Converted | None",
    money: "Priced | None",
    now: float,
) -> Outcome:
    """A test conversion (``test=1``, ``status=21..23``, a test link's session): recorded with
    status ``test``, its TUNE-coded ``status_code`` (``TEST_CODES``) and what it would be worth,
    under an id of its own (never the real conversion's key), with no unique-id or retry guard,
    on no cap, closing no session; never paid, counted in no stats money, told to the partner
    only when the tester asks (``test_delivery``: marked as a test). The trace shows it with
    the request as received."""
    from goalpost.model.redact import redacted_query

    conversion_id = conversion_id_of(session.transaction_id, goal.goal_id, secrets.token_hex(6))
    code = request.test_code or "debug_test"
    record = conversion_record(
        request,
        session,
        bundle,
        goal,
        conversion_id=conversion_id,
        status=TEST,
        status_code=code,
        worth=worth,
        created_at=iso_timestamp(now),
        sale=sale,
        money=money,
    )._replace(
        unique_ids={}, request_query=redacted_query(request.query or {}), test_delivery=request.test_delivery
    )
    result = conversion_store.insert_conversion(
        record, now=int(now), end_point=False, fingerprint="", retry_window_seconds=0, counters=()
    )
    if isinstance(result, conversion_store.SessionRefused | conversion_store.Duplicate):
        return Outcome(False, "temporarily_unavailable", "the test conversion could not be recorded; retry")
    told = "; told to the partner as a test" if request.test_delivery else ""
    return Outcome(
        True, code, f"recorded as a test: not paid, not counted{told}", conversion_id, TEST, record
    )


def _insert_within_caps(
    record: Conversion,
    insert: Callable[..., conversion_store.InsertResult],
    offer: Offer,
    partner_id: str,
    worth: Worth,
    now: int,
) -> tuple[conversion_store.InsertResult | None, str | None]:
    """Insert a conversion with its cap counters: (the result, None), or (None, the cap's
    refusal code) when no shard has room. A full shard sends the conversion on to the next."""
    refused: str | None = None
    shards = offer.cap_shards
    start = caps.first_shard(record.transaction_id, shards)
    for probe in range(shards):
        counters = caps.counters(
            offer.caps, partner_id=partner_id, payout=worth.payout, revenue=worth.revenue,
            now=now, timezone=offer.timezone, shard=(start + probe) % shards, shards=shards,
        ) if offer.caps else []  # fmt: skip
        if isinstance(counters, str):
            refused = counters
            continue
        result = insert(record, counters=counters)
        if not isinstance(result, conversion_store.CapReached):
            return result, None
        refused = result.code
    return None, refused


STATUS_ATTEMPTS = 3
"""A status postback that lost a race (the conversion changed between its read and its write)
reads the conversion again and applies its status to what it finds, up to this many times."""


def adjust_status(request: ConversionRequest, now: float) -> Outcome:
    """``status=`` on a postback naming an existing conversion: an adjustment, never an overwrite.

    The conversion is found by ``conversion_unique_id`` (unique per offer) or by ``adv_sub``
    used as an order id within the session; only recorded conversions can be found, never a
    stored refusal. The token of the conversion's advertiser (the goal's) decides. The change
    is appended to the conversion's adjustments (from, to, reason, time); a rejection after
    approval also writes a clawback record that reverses payout and revenue.

    The write applies only to the conversion as read (its version); when another change came
    first, the postback's status is applied again to the conversion as it now is (the status
    it names is what the advertiser wants, whatever came before), at most ``STATUS_ATTEMPTS``
    times, then answered ``status_conflict`` (send again).
    """
    session = session_store.get_session(request.transaction_id)
    offer_id = session.offer_id if session is not None else request.offer_id
    if offer_id is None:
        return Outcome(False, "unknown_transaction", "transaction_id matches no session; send offer_id")
    bundle = config_cache.offer_bundle(offer_id)
    if bundle is None:
        return Outcome(False, "unknown_offer", f"offer {offer_id} does not exist")
    for _attempt in range(STATUS_ATTEMPTS):
        found = _named_conversion(request, offer_id, bundle)
        if isinstance(found, Outcome):
            return found
        conversion = found
        old, conversion_id = conversion.status, conversion.conversion_id
        if old == request.new_status:
            return Outcome(True, "status_unchanged", "", conversion_id, old)
        held = advertiser_refusal(conversion, request.new_status)
        if held is not None:
            return Outcome(False, *held, conversion_id, old)
        reason = request.reason or f"status={request.new_status} by advertiser postback"
        change = adjustment(
            conversion, new_status=request.new_status, reason=reason, at=iso_timestamp(now), via=request.via,
            actor="advertiser", amounts={},
        )  # fmt: skip
        if conversion_store.adjust_conversion_status(conversion, change):
            return Outcome(True, "status_updated", reason, conversion_id, request.new_status)
    return Outcome(False, "status_conflict", "the conversion kept changing meanwhile; send again")


def _named_conversion(request: ConversionRequest, offer_id: str, bundle: OfferBundle) -> Conversion | Outcome:
    """The conversion a status postback names, read now, or why there is none for it."""
    unique = dict(request.unique_ids).get("conversion_unique_id")
    order = (request.adv_subs or {}).get("adv_sub")
    if unique:
        conversion = conversion_store.find_by_unique_id(offer_id, "conversion_unique_id", unique)
    elif order:
        matches = conversion_store.conversions_with_order_id(request.transaction_id, order)
        if len(matches) > 1:
            return Outcome(
                False, "ambiguous_order", f"{len(matches)} conversions carry adv_sub {order[:60]!r}"
            )
        conversion = matches[0] if matches else None
    else:
        return Outcome(
            False,
            "missing_conversion_reference",
            "a status update names its conversion by conversion_unique_id or adv_sub",
        )
    advertiser_id = conversion.advertiser_id if conversion else bundle.offer.advertiser_id
    not_theirs = sender_refusal(request, config_cache.advertiser(advertiser_id), advertiser_id)
    if not_theirs is not None:
        return Outcome(False, *not_theirs)
    if conversion is None or conversion.transaction_id != request.transaction_id:
        return Outcome(False, "unknown_conversion", "no conversion of this session matches")
    return conversion
