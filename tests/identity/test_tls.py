"""TLS on the hub's NATS port and HTTPS on its API; stations trust it with ``tls_ca``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import pytest

from benchtrail.agents import connect
from benchtrail.api import EventStore
from benchtrail.api.hub.access import token_store
from benchtrail.api.hub.embedded import Hub
from benchtrail.api.hub.identity import StationRegistry, credentials_path


def test_a_station_records_over_tls_with_credentials_and_the_api_answers_https(
    start_hub: Callable[..., AbstractContextManager[Hub]],
):
    """``benchtrail up --auth --tls-generate``: a lab CA, NATS over TLS, HTTPS, one CA file."""
    with start_hub(auth=True, tls_generate=True) as hub:
        assert hub.nats.url.startswith("tls://") and hub.api_url.startswith("https://")
        assert hub.lab_certificates is not None
        ca = str(hub.lab_certificates.ca_cert)
        path = credentials_path(hub.data_dir, "cell-7")
        StationRegistry(hub.data_dir).add("cell-7").write(path)
        hub.nats.reload()
        with connect("cell-7", hub=hub.nats.url, credentials=str(path), tls_ca=ca) as st:
            st.log("over TLS")
        hub.wait_ingested()
        token = token_store(hub.data_dir).create("reader", "viewer").token
        with EventStore(hub.api_url, token=token, tls_ca=ca) as store:
            sessions = store.sessions()
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{hub.api_url}/api/health")  # the lab CA is not the system's
    assert [s.station_id for s in sessions] == ["cell-7"]
