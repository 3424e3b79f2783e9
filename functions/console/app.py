"""/console/...: the admin console and partner portal, static files from ``static/``.

The files are the front end ``make console`` assembles (console/src and its npm packages);
the console talks to the admin and partner APIs with the signed-in user's token. This
function reads no table: it serves files and the sign-in settings (``config.json``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from goalpost import settings

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_./-]{1,200}$")
_IMPORT_MAP = re.compile(rb'<script type="importmap">(.*?)</script>', re.S)


def _config() -> dict[str, str]:
    """What the sign-in form needs: Cognito's endpoint and the console's public client id."""
    return {
        "cognitoEndpoint": settings.console_cognito_endpoint(),
        "clientId": settings.console_client_id(),
    }


def _file(relative: str) -> tuple[bytes, str] | None:
    """A file under static/ and its ETag; read once per version of the file (in Lambda, once:
    files change only with a deploy; under `make run`, again after `make console`)."""
    path = (STATIC / relative).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file():
        return None
    return _read(path, path.stat().st_mtime_ns)


@cache
def _read(path: Path, version: int) -> tuple[bytes, str]:
    body = path.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _security_headers(index: bytes) -> dict[str, str]:
    """A strict CSP: our own scripts, the page's import map by hash, the API and Cognito only."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.group(1)).digest()).decode() + "'"
        for m in _IMPORT_MAP.finditer(index)
    )
    cognito = _config()["cognitoEndpoint"]
    connect = "'self'" + (f" {cognito}" if cognito.startswith("https://") else "")
    return {
        "content-security-policy": (
            f"default-src 'self'; script-src 'self' {hashes}; connect-src {connect}; "
            "img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'self'"
        ),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
    }


def _answer(
    status: int, body: bytes | str, content_type: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    raw = body.encode() if isinstance(body, str) else body
    return {
        "statusCode": status,
        "headers": {"content-type": content_type, **(headers or {})},
        "body": base64.b64encode(raw).decode(),
        "isBase64Encoded": True,
    }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    path = str(event.get("rawPath") or "/console")
    # The app is /console (its screens are #/... fragments); its files are /console/<name>.
    relative = "index.html" if path == "/console" else path.removeprefix("/console/")
    if relative == "config.json":
        return _answer(200, json.dumps(_config()), "application/json", {"cache-control": "no-store"})
    found = _file(relative) if _SAFE_PATH.fullmatch(relative) else None
    if found is None:
        return _answer(404, "not found", "text/plain; charset=utf-8")
    body, etag = found
    headers = {"etag": etag, "cache-control": "no-cache"}
    if relative == "index.html":
        headers.update(_security_headers(body))
    if ((event.get("headers") or {}).get("if-none-match") or "") == etag:
        return {"statusCode": 304, "headers": headers, "body": ""}
    suffix = Path(relative).suffix
    return _answer(200, body, TYPES.get(suffix, "application/octet-stream"), headers)
