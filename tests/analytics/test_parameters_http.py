"""A bad analytics parameter is a 400 naming it, over HTTP and through the client."""

from __future__ import annotations

import httpx
import pytest

from benchtrail.api import BadParameter, EventStore

BAD = [
    ("yield", {"group_by": "station,colour"}, "group_by"),
    ("yield", {"group_by": "station,station"}, "group_by"),
    ("yield", {"shifts": "14,6"}, "shifts"),
    ("yield", {"shifts": "6,25"}, "shifts"),
    ("first-pass-yield", {"shifts": "morning"}, "shifts"),
    ("first-pass-yield", {"tz": "Mars/Olympus"}, "tz"),
    ("yield", {"since": "last tuesday"}, "since"),
    ("pareto", {"until": "soon"}, "until"),
    ("pareto", {"kind": "operators"}, "kind"),
    ("pareto", {"by": "cost"}, "by"),
    ("pareto", {"limit": "0"}, "limit"),
    ("capability", {}, "name"),
    ("capability", {"name": "vout", "group_by": "part"}, "group_by"),
    ("histogram", {"name": ""}, "name"),
    ("histogram", {"name": "vout", "bins": "0"}, "bins"),
    ("histogram", {"name": "vout", "bins": "many"}, "bins"),
    ("control-chart", {"name": "vout", "chart": "p"}, "chart"),
    ("control-chart", {"name": "vout", "subgroup_size": "11"}, "subgroup_size"),
    ("control-chart", {"name": "vout", "limit": "10001"}, "limit"),
]


@pytest.mark.parametrize(("endpoint", "params", "parameter"), BAD)
def test_bad_parameter_is_a_400_naming_it(
    analytics_url: str, endpoint: str, params: dict[str, str], parameter: str
) -> None:
    response = httpx.get(f"{analytics_url}/api/analytics/{endpoint}", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["error"], body["parameter"]) == ("bad_parameter", parameter)
    assert parameter in body["detail"]


def test_the_client_raises_bad_parameter(store: EventStore) -> None:
    with pytest.raises(BadParameter, match="'tz'") as caught:
        store.yields(group_by="day", tz="Nowhere/Town")
    assert caught.value.name == "tz"
    with pytest.raises(BadParameter, match="'subgroup_size'"):
        store.control_chart("vout", chart="xbar-r", subgroup_size=1)
