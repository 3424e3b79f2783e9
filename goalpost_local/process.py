"""The local runtime as a child process on a free port (end-to-end tests, the load bench)."""

import os
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from goalpost_local.template import ROOT


@dataclass
class Spawned:
    base_url: str
    dynamodb_endpoint: str
    logs: list[str] = field(default_factory=list)
    pid: int = 0
    """Everything the runtime printed, kept while it runs (read to explain a failure)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def spawn(
    admin_token: str, env: Mapping[str, str] | None = None, start_timeout: float = 60
) -> Iterator[Spawned]:
    """Start ``python -m goalpost_local --no-seed`` with its own embedded DynamoDB (or the
    ``AWS_ENDPOINT_URL_DYNAMODB`` that ``env`` names; nothing of the caller's shell); stop it after."""
    with tempfile.TemporaryDirectory(prefix="goalpost-export-") as export_dir:
        # the export's Parquet files: a folder of the caller's, else one removed afterwards
        with _spawn(
            admin_token, {"GOALPOST_LOCAL_EXPORT_DIR": export_dir, **(env or {})}, start_timeout
        ) as spawned:
            yield spawned


@contextmanager
def _spawn(admin_token: str, env: Mapping[str, str], start_timeout: float) -> Iterator[Spawned]:
    port = free_port()
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_ENDPOINT_URL") and name != "GOALPOST_USE_AWS"
    }
    child_env = {
        **inherited,
        **env,
        "GOALPOST_ADMIN_TOKEN": admin_token,
        "PYTHONPATH": f"{ROOT / 'layers' / 'common'}{os.pathsep}{ROOT}",
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "goalpost_local", "--port", str(port), "--no-seed"],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def drain() -> None:
        # Keep reading, so the runtime never blocks on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C stops" in line:
                ready.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not ready.wait(timeout=start_timeout):
            raise RuntimeError("local runtime did not start:\n" + "".join(lines))
        endpoint = next(line.split("DynamoDB:", 1)[1].strip() for line in lines if "DynamoDB:" in line)
        yield Spawned(f"http://127.0.0.1:{port}", endpoint, lines, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
