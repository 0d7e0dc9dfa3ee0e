"""The hub's API tokens (``<data-dir>/auth/tokens.json``), usable without the web stack."""

from benchtrail.api.hub.access.tokens import (
    TOKEN_PREFIX,
    TOKENS_FILE,
    TokenRecord,
    TokenStore,
    token_store,
)

__all__ = ["TOKENS_FILE", "TOKEN_PREFIX", "TokenRecord", "TokenStore", "token_store"]
