"""AWS clients, all from one botocore session.

botocore itself, not boto3: importing boto3 (its session, resources and collections, none of
which we use) adds ~35 ms to every cold start on top of botocore (make bench). The clients are
botocore's either way.
"""

from typing import Any

_SESSION: Any = None


def session() -> Any:
    """The process's botocore session (the local runtime puts its IAM checks on its events)."""
    global _SESSION
    if _SESSION is None:
        import botocore.session

        _SESSION = botocore.session.get_session()
    return _SESSION


def new_client(service: str, *, read_timeout: float = 5.0) -> Any:
    """A client that fails fast inside a request: 2 s to connect, ``read_timeout`` to answer,
    3 attempts in botocore's standard retry mode. Region and credentials come from the
    environment, as boto3 would take them."""
    from botocore.config import Config

    config = Config(
        connect_timeout=2, read_timeout=read_timeout, retries={"max_attempts": 3, "mode": "standard"}
    )
    return session().create_client(service, config=config)
