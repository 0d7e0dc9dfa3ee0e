"""Dead-letter methods of :class:`benchtrail.api.EventStore`: list, show and retry ``BT_DEAD``."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from benchtrail.api.client.base import ClientBase, QueryValue
from benchtrail.api.errors import BadParameter
from benchtrail.api.models.deadletters import (
    DeadLetterDetail,
    DeadLetterOrder,
    DeadLetterPage,
    RetriedLetter,
    RetryResult,
)

_page = msgspec.json.Decoder(DeadLetterPage)
_detail = msgspec.json.Decoder(DeadLetterDetail)
_retry = msgspec.json.Decoder(RetryResult)


class DeadLetterMethods(ClientBase):
    """What the projector could not use, kept in the hub's ``BT_DEAD`` stream."""

    def dead_letters(
        self,
        *,
        reason: str | None = None,
        subject: str | None = None,
        limit: int = 100,
        after: int | None = None,
        order: DeadLetterOrder = "oldest",
    ) -> DeadLetterPage:
        """One page of dead letters; pass its ``next_cursor`` as ``after`` for the next.

        Args:
            reason: only this reason code (e.g. ``"non-finite"``).
            subject: only letters whose original subject matches (``"bt.evt.cell-7.>"``).
            limit: letters per page.
            after: the ``next_cursor`` of the previous page.
            order: ``"oldest"`` or ``"newest"`` first.
        """
        query: dict[str, QueryValue] = {"limit": limit, "order": order}
        for name, value in (("reason", reason), ("subject", subject), ("after", after)):
            if value is not None:
                query[name] = value
        return _page.decode(self._get("/api/dead-letters", query))

    def dead_letter(self, seq: int) -> DeadLetterDetail:
        """One dead letter with its events decoded (or a preview of its bytes).

        Raises:
            NotFound: no dead letter has that sequence.
        """
        return _detail.decode(self._get(f"/api/dead-letters/{int(seq)}"))

    def retry_dead_letters(
        self, seqs: Iterable[int] = (), *, reason: str | None = None, all: bool = False
    ) -> list[RetriedLetter]:
        """Publish dead letters to their original subjects again (and drop them from BT_DEAD).

        Give the sequences, or ``reason=`` (one reason code), or ``all=True``.
        An event that is still invalid simply becomes a new dead letter.

        Raises:
            NotFound: one of ``seqs`` is not a dead letter (those before it were retried).
            BadParameter: neither sequences, a reason nor ``all`` were given.
        """
        seqs = list(seqs)
        if not seqs and reason is None and not all:
            raise BadParameter("seqs", "", "dead-letter sequences, a reason code or all=True")
        retried: list[RetriedLetter] = []
        for seq in seqs:
            path = f"/api/dead-letters/{int(seq)}/retry"
            retried += _retry.decode(self._request(path, None, method="POST").content).retried
        if reason is not None or all:
            query: dict[str, QueryValue] = {"all": "true"} if all else {"reason": str(reason)}
            response = self._request("/api/dead-letters/retry", query, method="POST")
            retried += _retry.decode(response.content).retried
        return retried
