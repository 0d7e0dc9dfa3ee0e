"""``benchtrail token`` and the token file: hashes only, printed once, usable at once."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchtrail.api import EventStore
from benchtrail.api.cli.token import token
from benchtrail.api.errors import NotSignedIn, RoleRequired, TokenNameTaken, UnknownToken
from benchtrail.api.hub.access import TOKENS_FILE, token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.cli import main


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(token, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_create_prints_the_token_once_as_the_last_line_and_stores_only_its_hash(
    tmp_path: Path,
) -> None:
    output = run(
        "create", "--role", "viewer", "--name", "wall-display", "--data-dir", str(tmp_path)
    )
    secret = output.strip().splitlines()[-1]
    assert secret.startswith("bt_") and len(secret) > 40
    path = tmp_path / TOKENS_FILE
    assert secret not in path.read_text()
    assert json.loads(path.read_text())["tokens"][0]["name"] == "wall-display"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    listed = run("list", "--data-dir", str(tmp_path))
    assert "wall-display" in listed and "viewer" in listed and secret not in listed
    assert token_store(tmp_path).identify(secret) is not None


def test_revoke_by_name_or_id_and_names_stay_unique(tmp_path: Path) -> None:
    store = token_store(tmp_path)
    first = store.create("ci", "operator")
    with pytest.raises(TokenNameTaken):
        store.create("ci", "viewer")
    assert "Revoked operator token 'ci'" in run("revoke", "ci", "--data-dir", str(tmp_path))
    assert store.identify(first.token) is None
    second = store.create("ci", "viewer")  # the name is free again
    run("revoke", second.info.id, "--data-dir", str(tmp_path))
    with pytest.raises(UnknownToken):
        store.revoke("nobody")


def test_the_benchtrail_command_has_token(tmp_path: Path) -> None:
    args = ["token", "create", "--name", "x", "--data-dir", str(tmp_path)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("bt_")


def test_clients_and_remote_token_commands_on_a_hub_with_auth(
    start_hub: Callable[..., AbstractContextManager[Hub]],
) -> None:
    with start_hub(auth=True) as hub:
        store = token_store(hub.data_dir)
        admin = store.create("root", "admin").token
        viewer = store.create("analyst", "viewer").token

        with EventStore(hub.api_url) as anonymous, pytest.raises(NotSignedIn, match="--token"):
            anonymous.sessions()
        with EventStore(hub.api_url, token=viewer) as reader:
            assert reader.health().status == "ok"
            with pytest.raises(RoleRequired, match="'operator'") as refused:
                reader.release_lock("cell-7.dmm", by="analyst")
            assert refused.value.role == "operator"

        remote = ["--api", hub.api_url]
        created = run("create", "--name", "wall", *remote, env={"BENCHTRAIL_TOKEN": admin})
        wall = created.strip().splitlines()[-1]
        with EventStore(hub.api_url, token=wall) as display:
            display.sessions()
        assert "wall" in run("list", *remote, "--token", admin)
        run("revoke", "wall", *remote, "--token", admin)
        with EventStore(hub.api_url, token=wall) as display, pytest.raises(NotSignedIn):
            display.sessions()
        refused_cli = CliRunner().invoke(token, ["list", *remote, "--token", viewer])
        assert refused_cli.exit_code == 1
        assert "'admin'" in refused_cli.output
        read = CliRunner().invoke(main, ["sessions", "--api", hub.api_url, "--token", viewer])
        assert read.exit_code == 0, read.output
        anonymous_read = CliRunner().invoke(main, ["sessions", "--api", hub.api_url])
        assert anonymous_read.exit_code == 1
        assert "BENCHTRAIL_TOKEN" in anonymous_read.output
