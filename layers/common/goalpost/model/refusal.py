"""A request the tracker will not act on, said in the tracker's words (``web.status`` maps to HTTP)."""


class Refused(ValueError):
    """``code`` names the refusal (documented, stable); ``reason`` tells the sender what to fix."""

    def __init__(self, reason: str, code: str = "bad_request") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
