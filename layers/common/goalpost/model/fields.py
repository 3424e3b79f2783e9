"""Stored documents from a NamedTuple's own declared fields: each field is declared once.

``document(item)`` writes a noun as its DynamoDB document and ``load(Noun, data)`` reads it
back, both from the noun's annotations: no field is named a second time. The type says how a
field is stored:

| annotation | loaded with | stored as |
|---|---|---|
| ``str``, ``bool``, ``int``, ``Decimal`` | ``str()``, ``bool()``, ``int()``, ``Decimal`` | as it is |
| a ``Literal`` | as it is | as it is |
| another noun (``Rate``, ``Goal``, ``Cap``...) | its ``from_dict`` | its ``to_dict()`` |
| ``tuple[X, ...]`` | a tuple of X | a list |
| ``Mapping[str, X]`` | a dict of X | a dict |
| ``X \\| None`` | None, or X | None, or X |
| ``Annotated[X, Codec(load, dump)]`` | ``load`` | ``dump`` (the per-field converter) |
| ``Annotated[X, Missing(value)]`` | ``value`` when the document lacks it | as X |

Reading is lenient, so items written before a field existed keep loading: a missing field,
``None`` or ``""`` takes the field's default; a field without a default that may be None is
None when missing; a field declared ``Missing(value)`` (required to build the noun, optional
in what is stored) takes that value; any other missing field is an error (``KeyError``). Keys a noun does not
declare are ignored (storage keys, ``version`` on nouns that do not carry it).

The codecs are worked out on a noun's first use, not at import: the hot paths import the
model on every cold start (no pydantic here: README, Performance).
"""

from collections.abc import Callable, Mapping
from decimal import Decimal
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

Convert = Callable[[Any], Any]
N = TypeVar("N")

_MISSING: Any = object()


class Codec:
    """How one field is read from and written to its stored document.

    (Plain classes here, not NamedTuples: each NamedTuple class costs the hot paths' import.)
    """

    __slots__ = ("dump", "load")

    def __init__(self, load: Convert, dump: Convert) -> None:
        self.load, self.dump = load, dump


class Missing:
    """What a stored document that lacks a field (none or an empty one) holds for it, for a
    field the noun itself requires: ``measure: Annotated[Measure, Missing("conversions")]``."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def same(value: Any) -> Any:
    """Stored and loaded as it is."""
    return value


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _dump_noun(value: Any) -> Any:
    return value.to_dict()


_SCALARS: dict[Any, Codec] = {
    str: Codec(str, same),
    bool: Codec(bool, same),
    int: Codec(int, same),
    Decimal: Codec(_decimal, same),
    Any: Codec(same, same),
}


class _Field:
    __slots__ = ("codec", "default", "name", "nullable")

    def __init__(self, name: str, codec: Codec, default: Any, nullable: bool) -> None:
        self.name, self.codec, self.nullable = name, codec, nullable
        self.default = default
        """``_MISSING`` for a field every document must have."""


def codec_of(annotation: Any) -> Codec:
    """The codec a field's annotation implies (see the module's table)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        given = [m for m in annotation.__metadata__ if isinstance(m, Codec)]
        return given[0] if given else codec_of(annotation.__origin__)
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if origin is Literal:
        return _SCALARS[Any]
    if origin in (Union, UnionType):
        inner = [a for a in get_args(annotation) if a is not NoneType]
        if len(inner) != 1:
            raise TypeError(f"no stored form for {annotation!r}: one type or None")
        return _optional(codec_of(inner[0]))
    if origin is tuple:
        return _sequence(codec_of(get_args(annotation)[0]))
    if origin in (Mapping, dict):
        return _mapping(codec_of(get_args(annotation)[1]))
    if isinstance(annotation, type) and hasattr(annotation, "from_dict"):
        return Codec(annotation.from_dict, _dump_noun)
    raise TypeError(f"no stored form for {annotation!r}: give the field a Codec")


def _optional(inner: Codec) -> Codec:
    def load(value: Any) -> Any:
        return None if value is None or value == "" else inner.load(value)

    def dump(value: Any) -> Any:
        return None if value is None else inner.dump(value)

    return Codec(load, dump)


def _sequence(item: Codec) -> Codec:
    def load(value: Any) -> tuple[Any, ...]:
        return tuple(item.load(v) for v in value)

    def dump(value: Any) -> list[Any]:
        return [item.dump(v) for v in value]

    return Codec(load, dump)


def _mapping(item: Codec) -> Codec:
    def load(value: Any) -> dict[str, Any]:
        return {str(k): item.load(v) for k, v in value.items()}

    def dump(value: Any) -> dict[str, Any]:
        return {k: item.dump(v) for k, v in value.items()}

    return Codec(load, dump)


def _nullable(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return _nullable(annotation.__origin__)
    return get_origin(annotation) in (Union, UnionType) and NoneType in get_args(annotation)


_FIELDS: dict[type, tuple[_Field, ...]] = {}


def fields_of(noun: type) -> tuple[_Field, ...]:
    """A NamedTuple's fields with their codecs, worked out once per noun."""
    found = _FIELDS.get(noun)
    if found is None:
        annotations = noun.__annotations__
        defaults: dict[str, Any] = noun._field_defaults  # type: ignore[attr-defined]
        found = _FIELDS[noun] = tuple(
            _Field(
                name,
                codec_of(annotations[name]),
                defaults.get(name, _missing_value(annotations[name])),
                _nullable(annotations[name]),
            )
            for name in noun._fields  # type: ignore[attr-defined]
        )
    return found


def _missing_value(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated:
        given = [m for m in annotation.__metadata__ if isinstance(m, Missing)]
        if given:
            return given[0].value
    return _MISSING


def stores_null(noun: type, name: str) -> bool:
    """Whether a noun's field may hold None (its type says ``X | None``)."""
    return next(f.nullable for f in fields_of(noun) if f.name == name)


def stored_defaults(noun: type) -> dict[str, Any]:
    """What a field holds when its stored document lacks it, for each field that has one."""
    return {f.name: f.default for f in fields_of(noun) if f.default is not _MISSING}


def document(item: Any) -> dict[str, Any]:
    """A noun as its stored document: every declared field, in declaration order."""
    return {f.name: f.codec.dump(value) for f, value in zip(fields_of(type(item)), item, strict=True)}


def load(noun: type[N], data: Mapping[str, Any] | None) -> N:
    """A noun from its stored document (``None`` or ``{}``: a noun of defaults)."""
    data = data or {}
    values = []
    for f in fields_of(noun):
        value = data.get(f.name, _MISSING)
        if value is _MISSING or value is None or value == "":
            if f.default is not _MISSING:
                values.append(f.default)
                continue
            if value is _MISSING and not f.nullable:
                raise KeyError(f.name)
            if value is None or value is _MISSING:
                values.append(None)
                continue
        values.append(f.codec.load(value))
    return noun._make(values)  # type: ignore[attr-defined,no-any-return]
