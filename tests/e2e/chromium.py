"""Debian's Chromium for the browser tests (never a downloaded browser build): its path and the
flags this closed network needs. Importing this skips the importing test module when Chromium
is missing locally, and fails it in CI (.ci/run installs it)."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or ""
if not CHROMIUM and os.environ.get("CI"):
    raise RuntimeError("CI must install Debian's chromium (see .ci/run)")
if not CHROMIUM:
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
