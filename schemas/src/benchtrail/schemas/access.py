"""How a NATS client proves who it is: the contract shared by agents, projector and hub.

An identity is an nkey user of the hub's nats-server (its seed in a credentials
file, the public key in the server's configuration) with its own reply-inbox prefix,
so that it can subscribe to its own replies and to nobody else's. The options are
plain values: ``nats.connect(servers, **access.connect_options())``.
"""

from __future__ import annotations

import ssl

import msgspec

HUB_IDENTITY = "hub"
"""The hub's service identity: projector, lock board, window commands, retention."""
LIVE_IDENTITY = "live"
"""The read-only identity of the API's live feeds."""
INBOX_PREFIX = "_INBOX_"
"""Reply inboxes of an identity ``cell-7`` are ``_INBOX_cell-7.<nuid>``."""


def inbox_prefix(identity: str) -> str:
    """The reply-inbox prefix of ``identity`` (a station id, ``hub`` or ``live``)."""
    return f"{INBOX_PREFIX}{identity}"


class NatsAccess(msgspec.Struct, frozen=True, kw_only=True):
    """Credentials and trust of one NATS connection.

    Attributes:
        credentials: path of the identity's nkey seed file (``""``: connect anonymously,
            as to a hub without ``--auth``).
        tls_ca: path of the CA certificate (PEM) that signed the hub's certificate;
            ``""`` with a ``tls://`` URL trusts the system's CAs.
        inbox_prefix: reply-inbox prefix; ``""`` keeps the client's ``_INBOX``.
    """

    credentials: str = ""
    tls_ca: str = ""
    inbox_prefix: str = ""

    @classmethod
    def of(cls, identity: str, credentials: str = "", tls_ca: str = "") -> NatsAccess:
        """The access of ``identity``: its own inbox prefix whenever it has credentials."""
        prefix = inbox_prefix(identity) if credentials else ""
        return cls(credentials=credentials, tls_ca=tls_ca, inbox_prefix=prefix)

    def connect_options(self) -> dict[str, object]:
        """Keyword arguments of ``nats.connect`` for this access."""
        options: dict[str, object] = {}
        if self.credentials:
            options["nkeys_seed"] = self.credentials
        if self.inbox_prefix:
            options["inbox_prefix"] = self.inbox_prefix
        if self.tls_ca:
            options["tls"] = ssl.create_default_context(cafile=self.tls_ca)
        return options
