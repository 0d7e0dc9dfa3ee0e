"""``benchtrail dead-letters``: list, show and retry what the projector could not use."""

from __future__ import annotations

import click
from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table

from benchtrail.api.cli.read import _show, _store, api_options
from benchtrail.api.models.deadletters import DeadLetterDetail, DeadLetterView, RetriedLetter

_REASON_WIDTH = 60


def _letters_table(letters: list[DeadLetterView], next_cursor: int | None) -> Table:
    more = f"; more after {next_cursor}" if next_cursor is not None else ""
    table = Table(title=f"{len(letters)} dead letter(s){more}")
    for column in ("seq", "time", "reason", "detail", "subject", "orig seq", "event", "bytes"):
        table.add_column(column)
    for letter in letters:
        detail = letter.reason
        if len(detail) > _REASON_WIDTH:
            detail = detail[: _REASON_WIDTH - 1] + "…"
        table.add_row(
            str(letter.seq),
            letter.time.strftime("%Y-%m-%d %H:%M:%S"),
            letter.reason_code,
            detail,
            letter.subject,
            "" if letter.original_seq is None else str(letter.original_seq),
            "whole" if letter.event_index is None else str(letter.event_index),
            str(letter.size),
        )
    return table


def _detail(letter: DeadLetterDetail) -> RenderableType:
    table = Table(title=f"dead letter {letter.seq}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    index = "whole message" if letter.event_index is None else str(letter.event_index)
    for field, value in (
        ("stored", letter.time.isoformat()),
        ("reason", f"{letter.reason_code}: {letter.reason}"),
        ("subject", letter.subject),
        ("original seq", str(letter.original_seq)),
        ("event index", index),
        ("bytes", str(letter.size)),
    ):
        table.add_row(field, value)
    if letter.events is not None:
        import msgspec

        text = msgspec.json.format(msgspec.json.encode(letter.events), indent=2).decode()
        return Group(table, Syntax(text, "json", word_wrap=True))
    return Group(table, f"not a msgpack array; first bytes (hex):\n{letter.preview_hex}")


def _retried(retried: list[RetriedLetter]) -> str:
    lines = [f"retried {len(retried)} dead letter(s)"]
    lines += [f"  {r.seq} → {r.subject} (stream seq {r.stream_seq})" for r in retried[:50]]
    if len(retried) > 50:
        lines.append(f"  … and {len(retried) - 50} more")
    return "\n".join(lines)


@click.group("dead-letters")
def dead_letters() -> None:
    """What the projector could not use, kept in the hub's BT_DEAD stream with the reason."""


@dead_letters.command("list")
@click.option("--reason", help="Only this reason code (e.g. non-finite, undecodable).")
@click.option("--subject", help="Only letters whose original subject matches (bt.evt.cell-7.>).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--after", type=click.IntRange(min=0), help="Continue after this dead-letter seq.")
@click.option("--newest", is_flag=True, help="Newest first (default: oldest first).")
@api_options
def list_command(  # noqa: PLR0917 -- one parameter per click option
    reason: str | None,
    subject: str | None,
    limit: int,
    after: int | None,
    newest: bool,
    api_url: str,
    as_json: bool,
) -> None:
    """List dead letters: seq, time, reason, original subject and seq, event index, size."""
    with _store(api_url) as store:
        page = store.dead_letters(
            reason=reason,
            subject=subject,
            limit=limit,
            after=after,
            order="newest" if newest else "oldest",
        )
    _show(as_json, page, lambda: _letters_table(page.items, page.next_cursor))


@dead_letters.command("show")
@click.argument("seq", type=click.IntRange(min=1))
@api_options
def show(seq: int, api_url: str, as_json: bool) -> None:
    """Show dead letter SEQ with its events decoded (or a preview of its bytes)."""
    with _store(api_url) as store:
        letter = store.dead_letter(seq)
    _show(as_json, letter, lambda: _detail(letter))


@dead_letters.command("retry")
@click.argument("seqs", nargs=-1, type=click.IntRange(min=1))
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead letter.")
@click.option("--reason", help="Retry every dead letter of this reason code.")
@api_options
def retry(
    seqs: tuple[int, ...], retry_all: bool, reason: str | None, api_url: str, as_json: bool
) -> None:
    """Publish dead letters (SEQ..., --reason CODE or --all) to their original subjects again.

    Use it after an upgrade that accepts what was refused; an event still
    invalid simply becomes a new dead letter.
    """
    if not seqs and not retry_all and reason is None:
        raise click.UsageError("give dead-letter sequences, --reason CODE or --all")
    with _store(api_url) as store:
        retried = store.retry_dead_letters(seqs, reason=reason, all=retry_all)
    _show(as_json, retried, lambda: _retried(retried))
