"""DynamoDB item sizes and capacity units, by the published sizing rules.

moto answers ReturnConsumedCapacity with fixed numbers, so the bench computes what DynamoDB
would bill from the items themselves: a write unit per started KB (two in a transaction),
a strongly consistent read unit per started 4 KB (half for eventually consistent reads),
plus one write per started KB on each GSI the item is projected into.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def value_size(value: dict[str, Any]) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        digits = len(Decimal(raw).normalize().as_tuple().digits)
        return math.ceil(digits / 2) + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in raw)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in raw)
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in raw)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in raw.items())
    raise ValueError(kind)


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int, transactional: bool = False) -> int:
    units = max(1, math.ceil(size / 1024))
    return units * 2 if transactional else units


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2
