"""Client methods of dimensioned measurements: a run's list of them, and one as a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from benchtrail.api.client.base import QueryValue, path_segment
from benchtrail.api.client.tables import TableClient
from benchtrail.api.models.measurement_tables import MeasurementTableData, MeasurementTableList

if TYPE_CHECKING:
    import pyarrow as pa

_list = msgspec.json.Decoder(MeasurementTableList)
_data = msgspec.json.Decoder(MeasurementTableData)


class MeasurementTableMethods(TableClient):
    """Dimensioned measurements (``run.measure_table``, OpenHTF dimensions) of a run."""

    def measurement_tables(self, run_id: str) -> MeasurementTableList:
        """The run's dimensioned measurements: names, axes (name and unit), point counts."""
        path = f"/api/runs/{path_segment('run_id', run_id)}/tables"
        return _list.decode(self._get(path, {}))

    def measurement_table(
        self, run_id: str, name: str, *, table_id: str | None = None
    ) -> MeasurementTableData:
        """One dimensioned measurement, column by column: each axis's name, unit and values.

        Without ``table_id``, the last one of that name the run recorded.

        Raises:
            NotFound: the run has no dimensioned measurement of that name.
        """
        return _data.decode(self._get(self._table_path(run_id, name), _query(table_id)))

    def measurement_table_arrow(
        self, run_id: str, name: str, *, table_id: str | None = None
    ) -> pa.Table:
        """One dimensioned measurement as an Arrow table (the fastest read of many points).

        A column per axis, named after it; each field's metadata holds its ``unit``
        (``table.schema.field("V").metadata[b"unit"]``), the schema's ``dimensions``.
        """
        path = self._table_path(run_id, name)
        return self._arrow(path, _query(table_id), missing=("dimensioned measurement", name))[0]

    def _table_path(self, run_id: str, name: str) -> str:
        run = path_segment("run_id", run_id)
        return f"/api/runs/{run}/tables/{path_segment('name', name)}"


def _query(table_id: str | None) -> dict[str, QueryValue]:
    return {} if table_id is None else {"table_id": table_id}
