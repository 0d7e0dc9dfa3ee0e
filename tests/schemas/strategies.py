"""Hypothesis strategies for every event type, derived from the Structs' own type info."""

from __future__ import annotations

import string

import msgspec
from hypothesis import strategies as st

_FLOAT_BOUND = 1e300
_ALPHABET = st.characters(exclude_categories=("Cs",))


_TOKEN_PATTERN = r"^[A-Za-z0-9_-]+$"
_TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"


def _text(t: msgspec.inspect.StrType) -> st.SearchStrategy[str]:
    if t.pattern is not None and t.pattern != _TOKEN_PATTERN:
        size = t.max_length or 1 << 20
        return st.from_regex(t.pattern, fullmatch=True).filter(lambda s: len(s) <= size)
    if t.pattern is not None:
        return st.text(_TOKEN_ALPHABET, min_size=1, max_size=min(t.max_length or 20, 20))
    return st.text(_ALPHABET, min_size=t.min_length or 0, max_size=min(t.max_length or 20, 20))


def _float(t: msgspec.inspect.FloatType) -> st.SearchStrategy[float]:
    if t.ge is not None or t.le is not None:
        return st.floats(-_FLOAT_BOUND, _FLOAT_BOUND)
    return st.floats(allow_nan=False)


def strategy_for(t: msgspec.inspect.Type) -> st.SearchStrategy[object]:
    """A strategy producing valid values of a msgspec type."""
    match t:
        case msgspec.inspect.Metadata():
            return strategy_for(t.type)
        case msgspec.inspect.StrType():
            return _text(t)
        case msgspec.inspect.IntType():
            return st.integers(
                min_value=t.ge if t.ge is not None else -(2**63),
                max_value=t.le if t.le is not None else 2**63 - 1,
            )
        case msgspec.inspect.FloatType():
            return _float(t)
        case msgspec.inspect.BoolType():
            return st.booleans()
        case msgspec.inspect.NoneType():
            return st.none()
        case msgspec.inspect.LiteralType():
            return st.sampled_from(t.values)
        case msgspec.inspect.ListType():
            return st.lists(strategy_for(t.item_type), max_size=5)
        case msgspec.inspect.DictType():
            return st.dictionaries(strategy_for(t.key_type), strategy_for(t.value_type), max_size=4)
        case msgspec.inspect.UnionType():
            return st.one_of([strategy_for(x) for x in t.types])
        case msgspec.inspect.StructType():
            return struct_strategy(t.cls)
    raise NotImplementedError(f"no strategy for {t!r}")


def struct_strategy(cls: type[msgspec.Struct]) -> st.SearchStrategy[msgspec.Struct]:
    """A strategy building ``cls`` with every field drawn from its declared type."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    fields = {f.name: strategy_for(f.type) for f in info.fields}
    return st.builds(cls, **fields)
