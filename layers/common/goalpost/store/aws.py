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


def new_client(service: str, **config: Any) -> Any:
    """A client with botocore's configuration options (timeouts, retries), region and
    credentials from the environment as boto3 would take them."""
    from botocore.config import Config

    return session().create_client(service, config=Config(**config) if config else None)
