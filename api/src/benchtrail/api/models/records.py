"""``Records``: the list the Python client returns, convertible to a polars DataFrame.

polars is imported by :meth:`Records.to_polars` itself, not at the top: it
costs half a second to import, and the CLI, which never builds a DataFrame,
should not pay for it on every command.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, TypeVar

import msgspec
import msgspec.inspect as mi

if TYPE_CHECKING:
    import polars as pl

T = TypeVar("T", bound=msgspec.Struct)

Column = str
"""Kind of a column: ``str``, ``int``, ``float``, ``bool``, ``datetime``, ``json``
(nested or mixed-type values as JSON text) or ``list[<kind>]``."""

_SCALARS: dict[type[mi.Type], Column] = {
    mi.StrType: "str",
    mi.IntType: "int",
    mi.FloatType: "float",
    mi.BoolType: "bool",
    mi.DateTimeType: "datetime",
}


class Records(list[T]):
    """A list of response Structs (sessions, runs, events...) with a DataFrame view.

    Attributes:
        item_type: the Struct type of the items (a base class, for events).
        next_cursor: where the next page starts (``cursor=`` for sessions and runs,
            ``after_seq=int(...)`` for events), or None when nothing follows.
    """

    def __init__(
        self,
        items: Iterable[T] = (),
        *,
        item_type: type[msgspec.Struct],
        next_cursor: str | None = None,
    ) -> None:
        super().__init__(items)
        self.item_type = item_type
        self.next_cursor = next_cursor

    def to_polars(self) -> pl.DataFrame:
        """One row per item, one column per field (and ``type`` for events).

        Scalars and lists of scalars keep their type, times are
        ``Datetime("us", "UTC")``; mappings, nested structs and fields whose
        type differs between items become JSON text
        (``pl.col(c).str.json_decode(dtype)`` or ``msgspec.json.decode`` to read it).
        The columns follow the fields of the item types present (of
        ``item_type`` when empty), so an empty result still has its columns.
        """
        import polars as pl

        present: list[type[msgspec.Struct]] = list(dict.fromkeys(type(item) for item in self))
        columns = _merged_columns(tuple(present or [self.item_type]))
        rows = [_row(item, columns) for item in self]
        schema = {name: _dtype(kind) for name, kind in columns.items()}
        return pl.DataFrame(rows, schema=schema, orient="row")


def _dtype(kind: Column) -> pl.DataType:
    import polars

    if kind.startswith("list["):
        return polars.List(_dtype(kind[5:-1]))
    return {
        "int": polars.Int64(),
        "float": polars.Float64(),
        "bool": polars.Boolean(),
        "datetime": polars.Datetime("us", "UTC"),
    }.get(kind, polars.String())


def _merged_columns(types: tuple[type[msgspec.Struct], ...]) -> dict[str, Column]:
    merged: dict[str, Column] = {}
    for struct_type in types:
        for name, kind in _columns(struct_type).items():
            merged[name] = kind if merged.get(name, kind) == kind else "json"
    return merged


@cache
def _columns(struct_type: type[msgspec.Struct]) -> dict[str, Column]:
    info = mi.type_info(struct_type)
    assert isinstance(info, mi.StructType)
    columns: dict[str, Column] = {}
    if isinstance(info.tag_field, str):
        columns[info.tag_field] = "str"
    for field in info.fields:
        columns[field.encode_name] = _kind(field.type)
    return columns


def _kind(field_type: mi.Type) -> Column:
    if isinstance(field_type, mi.Metadata):
        return _kind(field_type.type)
    if isinstance(field_type, mi.LiteralType):
        return "str" if all(isinstance(v, str) for v in field_type.values) else "json"
    if isinstance(field_type, mi.UnionType):
        return _union_kind(field_type)
    if isinstance(field_type, mi.ListType | mi.VarTupleType):
        inner = _kind(field_type.item_type)
        return "json" if inner == "json" else f"list[{inner}]"
    return _SCALARS.get(type(field_type), "json")


def _union_kind(union: mi.UnionType) -> Column:
    members = {_kind(t) for t in union.types if not isinstance(t, mi.NoneType)}
    if len(members) == 1:
        return members.pop()
    if members <= {"int", "float"}:
        return "float"
    return "json"


def _row(item: msgspec.Struct, columns: dict[str, Column]) -> list[object]:
    config = item.__struct_config__
    values = msgspec.structs.asdict(item)
    if isinstance(config.tag_field, str):
        values[config.tag_field] = config.tag
    return [_cell(values.get(name), kind) for name, kind in columns.items()]


def _cell(value: object, kind: Column) -> object:
    if kind == "json" and value is not None:
        return msgspec.json.encode(value).decode()
    return value
