"""The command center's JSON API, mounted at /api/v1/command."""

from ninja import Router

from gongzhi.command import dashboard_api, map_api, monthly_api, wall_api

router = Router(tags=["command"])
router.add_router("", dashboard_api.router)
router.add_router("", wall_api.router)
router.add_router("", map_api.router)
router.add_router("", monthly_api.router)
