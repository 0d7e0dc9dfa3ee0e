"""JSON Schema of every event type, committed as ``schemas/event-schema.json``.

Regenerate with ``uv run python -m benchtrail.schemas.schema_export``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import msgspec

from benchtrail.schemas.events import EventUnion

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "event-schema.json"
"""Where the committed schema lives in a source checkout."""
REGENERATE_COMMAND = "uv run python -m benchtrail.schemas.schema_export"


def event_json_schema() -> str:
    """Return the JSON Schema of :data:`EventUnion` as stable, pretty text."""
    schema = msgspec.json.schema(EventUnion)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the schema to ``schemas/event-schema.json`` (or the path given)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else SCHEMA_PATH
    path.write_text(event_json_schema(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
