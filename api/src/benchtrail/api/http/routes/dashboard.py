"""The factory dashboard: static pages under ``/dashboard/`` that read the JSON API.

Every file the pages load (HTML, JavaScript modules, CSS, the vendored uPlot chart
library) ships in this package, so the dashboard works without a network. ``/``
sends a browser to the dashboard.
"""

from __future__ import annotations

from pathlib import Path

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

DASHBOARD_DIR = Path(__file__).resolve().parents[1] / "dashboard"
"""The dashboard's files (``index.html`` is the fleet overview)."""
DASHBOARD_PATH = "/dashboard"
"""Where the dashboard is served."""


@get("/", include_in_schema=False)
async def home() -> Redirect:
    """The dashboard is the API's home page."""
    return Redirect(f"{DASHBOARD_PATH}/")


dashboard_files = create_static_files_router(
    path=DASHBOARD_PATH,
    directories=[DASHBOARD_DIR],
    html_mode=True,
    name="dashboard",
    # Revalidate every load: after an upgrade a page never mixes old and new modules.
    cache_control=CacheControlHeader(no_cache=True),
    include_in_schema=False,
)

DASHBOARD_ROUTES: list[ControllerRouterHandler] = [home, dashboard_files]
"""Every route handler of this group."""
