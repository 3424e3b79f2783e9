"""The one slug rule: goal names become URL-friendly ``goal_name`` values."""

from __future__ import annotations

import re

_ALREADY_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def slug_of(name: str) -> str:
    """Transliterate a goal name to its slug (python-slugify, as TUNE's URL-friendly name)."""
    lowered = name.strip().lower()
    if _ALREADY_SLUG.fullmatch(lowered):
        # Fast path for the common case on postbacks (``goal_name=registration``): no need
        # to import python-slugify and its unidecode tables on the hot path.
        return lowered
    from slugify import slugify  # lazy: ~30 ms of import only when a name needs transliteration

    return str(slugify(name, max_length=100))
