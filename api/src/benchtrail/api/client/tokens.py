"""``TokenClient``: an admin's calls to ``/api/admin/tokens`` (create, list, revoke tokens)."""

from __future__ import annotations

import msgspec

from benchtrail.api.client.base import ClientBase, path_segment
from benchtrail.api.models.access import IssuedToken, Role, TokenCreation, TokenView

_issued = msgspec.json.Decoder(IssuedToken)
_view = msgspec.json.Decoder(TokenView)
_views = msgspec.json.Decoder(list[TokenView])


class TokenClient(ClientBase):
    """Manage a hub's API tokens from another machine; needs an ``admin`` token.

    Takes the arguments of :class:`~benchtrail.api.client.base.ClientBase`.
    """

    def create(self, name: str, role: Role) -> IssuedToken:
        """A new token; its secret is in the answer only."""
        body = msgspec.json.encode(TokenCreation(name=name, role=role))
        return _issued.decode(
            self._request("/api/admin/tokens", None, method="POST", body=body).content
        )

    def tokens(self) -> list[TokenView]:
        """Every token of the hub, revoked ones too (never the secrets)."""
        return _views.decode(self._request("/api/admin/tokens", None).content)

    def revoke(self, id_or_name: str) -> TokenView:
        """Revoke a token by id or active name; its requests and sessions end at once."""
        path = f"/api/admin/tokens/{path_segment('id_or_name', id_or_name)}"
        return _view.decode(self._request(path, None, method="DELETE").content)
