"""An experiment's result: its points as a polars DataFrame, with what identifies it.

The station records experiments and an analyst reads them back, so both sides share
this type. Its table methods need polars and pyarrow, imported only when used (the
agents and the API client install both).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec

from benchtrail.schemas.errors import InvalidExperimentFile
from benchtrail.schemas.experiment import METADATA_KEY, ExperimentInfo, ExperimentMetadata
from benchtrail.schemas.values import MeasurementValue

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

SaveFormat = Literal["parquet", "arrow", "csv"]
_SUFFIXES: dict[str, SaveFormat] = {
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".ipc": "arrow",
    ".feather": "arrow",
    ".csv": "csv",
}


class Experiment:
    """The result of ``MeasurementSession.run()`` (or of reading a run back).

    Attributes:
        metadata: ids, parameters, units, times and outcome (:class:`ExperimentInfo`).
        records: ad-hoc values recorded with ``session.record(key, value)``, by key.
    """

    def __init__(
        self,
        metadata: ExperimentInfo,
        data: pl.DataFrame | Callable[[], pl.DataFrame],
        records: Mapping[str, list[MeasurementValue]] | None = None,
    ) -> None:
        self.metadata = metadata
        self.records = dict(records or {})
        self._data = data

    @property
    def data(self) -> pl.DataFrame:
        """One row per point: ``timestamp`` (UTC, ns), the parameters, then the results."""
        if callable(self._data):
            self._data = self._data()
        return self._data

    def to_arrow(self) -> pa.Table:
        """The data as an Arrow table, with the metadata (JSON) in its schema."""
        table = self.data.to_arrow()
        carried = ExperimentMetadata(experiment=self.metadata, records=self.records)
        return table.replace_schema_metadata({METADATA_KEY: msgspec.json.encode(carried)})

    def save(self, path: str | Path, format: SaveFormat | None = None) -> Path:
        """Write the data to ``.parquet``, ``.arrow`` (``.ipc``, ``.feather``) or ``.csv``.

        Parquet and Arrow files keep the metadata; :meth:`load` reads them back.

        Raises:
            InvalidExperimentFile: the format is neither given nor known from the suffix.
        """
        target = Path(path)
        chosen = format or _SUFFIXES.get(target.suffix.lower())
        if chosen is None:
            raise InvalidExperimentFile(
                str(path), f"a file ending in {', '.join(_SUFFIXES)} (or give format=)"
            )
        if chosen == "csv":
            self.data.write_csv(target)
            return target
        import pyarrow.parquet as pq
        from pyarrow import feather

        if chosen == "parquet":
            pq.write_table(self.to_arrow(), target)
        else:
            feather.write_feather(self.to_arrow(), str(target), compression="uncompressed")
        return target

    @classmethod
    def load(cls, path: str | Path) -> Experiment:
        """Read an experiment saved as Parquet or Arrow by :meth:`save`.

        Raises:
            InvalidExperimentFile: the file holds no experiment metadata.
        """
        import polars as pl
        import pyarrow.parquet as pq
        from pyarrow import feather

        target = Path(path)
        if target.suffix.lower() == ".parquet":
            table = pq.read_table(target)
        else:
            table = feather.read_table(str(target))
        raw = (table.schema.metadata or {}).get(METADATA_KEY)
        if raw is None:
            raise InvalidExperimentFile(str(path), "a file saved by Experiment.save()")
        carried = msgspec.json.decode(raw, type=ExperimentMetadata)
        frame = pl.from_arrow(table.replace_schema_metadata(None))
        assert isinstance(frame, pl.DataFrame)
        return cls(carried.experiment, frame, carried.records)

    def __repr__(self) -> str:
        m = self.metadata
        return f"<Experiment {m.name!r} run {m.run_id} on {m.station_id!r}: {m.points} points>"
