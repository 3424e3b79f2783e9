"""`python -m goalpost_local` (what `make run` calls): serve the stack and print what to try."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import Any

from goalpost_local import runtime

STOP_SECONDS = 5.0
"""A stop never takes longer: whatever still runs then (a call to an endpoint that went away,
a request in flight) is abandoned with the process."""


class Stopped(Exception):
    """SIGTERM arrived while the runtime was starting or seeding."""


def _stop_within(stack: runtime.LocalStack | None, code: int = 0, seconds: float = STOP_SECONDS) -> None:
    """Stop the stack (pollers, gateway, embedded moto) and exit, in ``seconds`` at most."""
    if stack is not None:
        done = threading.Event()

        def stop() -> None:
            try:
                stack.stop()
            finally:
                done.set()

        threading.Thread(target=stop, daemon=True, name="stop").start()
        if not done.wait(seconds):
            logging.getLogger("goalpost_local").error("stop took over %.0f s: exiting anyway", seconds)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # no interpreter shutdown waiting on threads: the stop is bounded, always


def _on_sigterm_while_starting(*_: Any) -> None:
    raise Stopped


def main() -> None:
    parser = argparse.ArgumentParser(description="Goalpost's local runtime (no Docker needed).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--no-seed", action="store_true", help="start with empty tables")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the embedded DynamoDB's access log
    logging.getLogger("botocore").setLevel(logging.WARNING)

    # SIGTERM while starting or seeding: stop what has started (runtime.start stops its own
    # embedded moto when it fails), within the same bound.
    signal.signal(signal.SIGTERM, _on_sigterm_while_starting)
    stack: runtime.LocalStack | None = None
    code = 0
    try:
        stack = runtime.start(args.host, args.port)
        _serve(stack, seed=not args.no_seed)
    except (Stopped, KeyboardInterrupt):
        logging.getLogger("goalpost_local").info("stopping")
    except Exception:
        logging.getLogger("goalpost_local").exception("the local runtime failed")
        code = 1
    _stop_within(stack, code)


def _serve(stack: runtime.LocalStack, *, seed: bool) -> None:
    """Print what to try (seeding the demo network first), then serve until SIGTERM or Ctrl-C."""
    base = stack.base_url
    print(f"Goalpost local runtime on {base}")
    print(f"  DynamoDB: {os.environ.get('AWS_ENDPOINT_URL_DYNAMODB', 'AWS (your credentials)')}")
    print(f"  SQS, SSM, Cognito: {os.environ.get('AWS_ENDPOINT_URL_SQS', 'AWS (your credentials)')}")
    print(f"  admin token: {stack.admin_token}")
    print(f"\n  Console (signed in as admin): {stack.console_url()}")
    if stack.sign_in is not None:
        admin, viewer = stack.sign_in.admin, stack.sign_in.viewer
        print(f"  console users: {admin.username} / {admin.password} (ConsoleAdmins), ", end="")
        print(f"{viewer.username} / {viewer.password} (ConsoleViewers)")
    if seed:
        from goalpost_local.seed import seed_demo

        demo = seed_demo(base)
        offer_id = demo["offer"]["offer_id"]
        partner_id = demo["partner"]["partner_id"]
        partner = demo["partner"]
        print(f"  partner portal: {base}/console#/portal ({partner['name']}'s API key: {partner['api_key']})")
        print("\nTry it (demo network seeded):")
        print(f"  1. click:    curl -si '{base}/aff_c?offer_id={offer_id}&aff_id={partner_id}&aff_sub=demo'")
        print("     (the Location header carries tid=<transaction_id>)")
        print(f"  2. postback: curl -s '{base}/aff_lsr?transaction_id=<transaction_id>'")
        print(
            f"     goal:     curl -s '{base}/aff_goal?a=lsr&goal_name=sale&amount=50"
            "&transaction_id=<transaction_id>'"
        )
        print(
            f"  3. admin:    curl -s -H 'Authorization: Bearer {stack.admin_token}' "
            f"'{base}/admin/offers/{offer_id}/conversions'"
        )
        print(
            f"  4. stats:    curl -s -H 'Authorization: Bearer {stack.admin_token}' "
            f"'{base}/admin/stats?group_by=goal&interval=total&offer_id={offer_id}'"
        )
        print("     (a few seconds behind: the stats function reads the tables' streams)")
        print(
            f"     funnel:   curl -s -H 'Authorization: Bearer {stack.admin_token}' "
            f"'{base}/admin/offers/{offer_id}/funnel'"
        )
    print("\nCtrl-C stops.", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):  # short waits, so SIGTERM's handler runs promptly
        pass


if __name__ == "__main__":
    main()
