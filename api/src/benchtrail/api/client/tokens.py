"""``TokenClient``: an admin's calls to ``/api/admin/tokens`` (create, list, revoke tokens)."""

from __future__ import annotations

import httpx
import msgspec

from benchtrail.api.client.base import ClientBase, _error, path_segment
from benchtrail.api.errors import ApiUnavailable
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
        return _issued.decode(self._send("POST", "/api/admin/tokens", body).content)

    def tokens(self) -> list[TokenView]:
        """Every token of the hub, revoked ones too (never the secrets)."""
        return _views.decode(self._send("GET", "/api/admin/tokens").content)

    def revoke(self, id_or_name: str) -> TokenView:
        """Revoke a token by id or active name; its requests and sessions end at once."""
        path = f"/api/admin/tokens/{path_segment('id_or_name', id_or_name)}"
        return _view.decode(self._send("DELETE", path).content)

    def _send(self, method: str, path: str, body: bytes | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        try:
            response = self._http.request(method, path, content=body, headers=headers)
        except httpx.HTTPError as e:
            raise ApiUnavailable(self.url, str(e) or type(e).__name__) from e
        if not response.is_success:
            raise _error(self.url + path, response)
        return response
