"""Every code block of README.md runs, as written, against a real hub with the demo's stations.

The rule, by the block's info string (the word after the opening fence):

- ``python``: run as a script (``python -c``) in an empty directory (no
  ``benchtrail.yaml``, ``HOME`` there too, so no user configuration);
- ``bash``: run as one ``bash -euo pipefail`` script in such a directory, with the
  environment's ``benchtrail`` and ``python`` on ``PATH``;
- ``yaml``: a station configuration, checked with ``benchtrail config check`` as
  the project's ``benchtrail.yaml``;
- anything else (``text``, no info string): output samples, not run.

A block preceded by an HTML comment ``<!-- not run: why -->`` is not run (the Quick
start's and Development's ``make`` commands, which run this suite or long programs).
The blocks of the sections in :data:`SECTIONS_RUN_ELSEWHERE` are covered by other tests.

Each block sees ``BENCHTRAIL_HUB`` and ``BENCHTRAIL_API`` pointing at a hub started
with ``--demo`` (what ``make demo`` prints), so the snippets show the demo's data.
Blocks run in document order against the same hub.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchtrail.api import EventStore
from benchtrail.api.hub.embedded import Hub

from ..conftest import hub_in_thread

README = Path(__file__).parents[2] / "README.md"
RUN = ("python", "bash", "yaml")
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<why>[^>]+?)\s*-->\s*$")
SECTIONS_RUN_ELSEWHERE = {
    "Layout and installs per role": "tests/packaging/ builds each role's venv from the lock",
}


@dataclass(frozen=True)
class Block:
    """One fenced code block of the README."""

    line: int
    section: str
    info: str
    code: str
    skip: str

    @property
    def id(self) -> str:
        return f"L{self.line}-{self.info or 'plain'}"


def readme_blocks(text: str) -> list[Block]:
    """The fenced blocks of ``text`` with their line, section and why not run (if so)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    section, index = "", 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        fence = re.match(r"^```(\w*)\s*$", line)
        if fence is None:
            index += 1
            continue
        end = lines.index("```", index + 1)
        marker = NOT_RUN.match(lines[index - 1]) if index else None
        info = fence.group(1)
        skip = SECTIONS_RUN_ELSEWHERE.get(section, "")
        if info not in RUN:
            skip = f"an output sample ({info or 'no info string'})"
        if marker is not None:
            skip = marker.group("why")
        blocks.append(Block(index + 1, section, info, "\n".join(lines[index + 1 : end]), skip))
        index = end + 1
    return blocks


BLOCKS = readme_blocks(README.read_text())


@pytest.fixture(scope="module")
def demo_hub(tmp_path_factory: pytest.TempPathFactory, chdb_path: Path) -> Iterator[Hub]:
    """``benchtrail up --demo`` in-process, on free ports, once the demo has finished runs."""
    with hub_in_thread(
        tmp_path_factory.mktemp("readme-hub"), chdb_path, demo=True, demo_stations=2
    ) as hub:
        deadline = time.monotonic() + 90
        with EventStore(hub.api_url) as store:
            while len(store.runs(station_id="demo-1", outcome="passed", limit=3)) < 3:
                assert time.monotonic() < deadline, "the demo recorded no 3 passing runs in 90 s"
                time.sleep(0.5)
        yield hub


def run_block(block: Block, hub: Hub, directory: Path) -> subprocess.CompletedProcess[str]:
    """Run one block as a user would, in ``directory``; return what it printed."""
    env = {
        **os.environ,
        "HOME": str(directory),
        "BENCHTRAIL_HUB": hub.nats.url,
        "BENCHTRAIL_API": hub.api_url,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    env.pop("BENCHTRAIL_STATION", None)
    if block.info == "python":
        command = [sys.executable, "-c", block.code]
    elif block.info == "bash":
        command = ["bash", "-euo", "pipefail", "-c", block.code]
    else:
        (directory / "benchtrail.yaml").write_text(block.code + "\n")
        command = ["benchtrail", "config", "check"]
    return subprocess.run(
        command, cwd=directory, env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_the_readme_has_blocks_of_each_kind():
    """The parser sees the README's blocks (a broken fence would silently skip the rest)."""
    run = [b for b in BLOCKS if not b.skip]
    assert {b.info for b in run} == {"python", "bash", "yaml"}
    assert len(run) >= 6
    assert all(b.skip for b in BLOCKS if b.code.lstrip().startswith("make "))


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block_runs(block: Block, demo_hub: Hub, tmp_path: Path):
    if block.skip:
        pytest.skip(f"README.md:{block.line} is not run: {block.skip}")
    bare = tmp_path / "bare"
    bare.mkdir()
    done = run_block(block, demo_hub, bare)
    assert done.returncode == 0, (
        f"README.md:{block.line} ({block.section}) failed with exit {done.returncode}:\n"
        f"{block.code}\n--- stdout ---\n{done.stdout[-3000:]}"
        f"\n--- stderr ---\n{done.stderr[-3000:]}"
    )
    assert done.stdout.strip(), f"README.md:{block.line} printed nothing:\n{block.code}"
