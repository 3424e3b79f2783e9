"""What every local event source mapping shares: its polling threads and a bounded stop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Pollers:
    """Background threads that poll until told to stop (a stop waits at most 0.3 s each)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _add_thread(self, name: str, target: Callable[..., None], *args: Any) -> None:
        self._threads.append(threading.Thread(target=target, args=args, daemon=True, name=name))

    def start(self) -> Pollers:
        for thread in self._threads:
            thread.start()
        return self

    def signal_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=0.3)
