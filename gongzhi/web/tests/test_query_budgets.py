"""Query budgets for every list endpoint and page (issue 7): an N+1 fails here.

BUDGETS names each GET route that lists rows, who may see it, how to make its rows
(budget_data.Scene) and the exact number of queries one request costs. Each route is
requested with 3 rows and again with 30: both counts must equal the budget, so a query
per row fails, and so does a new query nobody budgeted. NOT_A_LIST names every other
route that answers GET, with the reason; test_every_get_route_is_budgeted walks the URL
resolver (and the API's path operations) so a new list route cannot go unbudgeted.

The first request of each client is not counted: it warms what every request shares once
per process (content types, the session, the org locator). The cache is cleared before
each counted request, so a cached figure cannot hide the rows added since.
"""

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from gongzhi.orgs import locator
from gongzhi.registry import pii
from gongzhi.selfservice import services as selfservice
from gongzhi.web.tests.budget_data import Scene

FEW, MANY = 3, 30


@dataclass(frozen=True)
class Budget:
    """One list route: `route` as the resolver spells it (see get_routes), the URL to
    request (its {names} filled in by _url), the user (an attribute of `people`; ""
    anonymous; "phone" a resident with a verified phone; "superuser" the admin made a superuser),
    the Scene maker of its rows, and its budget of queries. `page` is how many rows the
    first page shows. The rows are found by their markers in the body (the JSON read back
    unescaped); an aggregate has `total` instead, reading the rows counted from the JSON."""

    route: str
    url: str
    user: str
    rows: str
    queries: int
    page: int = MANY
    total: Callable[[dict], int] | None = None


BUDGETS = [
    # -- JSON API ----------------------------------------------------------------------
    Budget("api/v1/inspections/tasks", "/api/v1/inspections/tasks", "gw_a", "inspection_tasks", 4),
    Budget(
        "api/v1/inspections/campaigns",
        "/api/v1/inspections/campaigns",
        "op_sub",
        "inspection_campaigns",
        5,
    ),
    Budget(
        "api/v1/inspections/templates", "/api/v1/inspections/templates", "op_sub", "checklists", 6
    ),
    Budget("inspections/", "/inspections/", "gw_a", "inspection_tasks", 5),
    Budget("api/v1/inspections/notices", "/api/v1/inspections/notices", "op_sub", "notices", 4),
    Budget("inspections/notices/", "/inspections/notices/", "op_sub", "notices", 5),
    Budget(
        "api/v1/inspections/risk-points",
        "/api/v1/inspections/risk-points",
        "op_sub",
        "risk_points",
        4,
    ),
    Budget("inspections/risk/", "/inspections/risk/", "op_sub", "risk_points", 7),
    Budget("audit/", "/audit/", "leader", "audit_entries", 7),
    Budget(
        "api/v1/inspections/map/premises",
        "/api/v1/inspections/map/premises?unit={sub}&bbox=112,34,113,35",
        "op_sub",
        "notices",
        7,
    ),
    Budget(
        "api/v1/inspections/map/risk-points",
        "/api/v1/inspections/map/risk-points?unit={sub}&bbox=112,34,113,35",
        "op_sub",
        "alert_points",
        8,
    ),
    Budget(
        "api/v1/inspections/alerts/<alert_id>",
        "/api/v1/inspections/alerts/{alert}",
        "op_sub",
        "alert_points",
        6,
    ),
    Budget(
        "inspections/alerts/<id:alert_id>/",
        "/inspections/alerts/{alert}/",
        "op_sub",
        "alert_points",
        7,
    ),
    Budget(
        "inspections/campaigns/", "/inspections/campaigns/", "op_sub", "inspection_campaigns", 7
    ),
    Budget("inspections/checklists/", "/inspections/checklists/", "op_sub", "checklists", 7),
    Budget(
        "api/v1/disputes/disputes",
        "/api/v1/disputes/disputes?limit=200",
        "community_worker",
        "disputes",
        4,
    ),
    Budget("disputes/", "/disputes/", "community_worker", "disputes", 5),
    Budget(
        "api/v1/disputes/mediators",
        "/api/v1/disputes/mediators?limit=200",
        "community_worker",
        "mediators",
        4,
    ),
    Budget("disputes/mediators/", "/disputes/mediators/", "community_worker", "mediators", 6),
    Budget(
        "api/v1/disputes/types", "/api/v1/disputes/types", "community_worker", "dispute_types", 3
    ),
    Budget("disputes/types/", "/disputes/types/", "op_sub", "dispute_types", 5),
    Budget(
        "api/v1/disputes/screening/board",
        "/api/v1/disputes/screening/board?month={month}",
        "op_sub",
        "screening_units",
        5,
    ),
    Budget(
        "disputes/screening/", "/disputes/screening/?month={month}", "op_sub", "screening_units", 9
    ),
    Budget("api/v1/positions", "/api/v1/positions", "op_district", "positions", 4),
    Budget("api/v1/orgs/units", "/api/v1/orgs/units?within={community}", "op_sub", "grids", 4),
    Budget("api/v1/orgs/units/geojson", "/api/v1/orgs/units/geojson", "op_sub", "grids", 4),
    Budget("api/v1/orgs/departments", "/api/v1/orgs/departments", "op_district", "departments", 4),
    Budget("api/v1/registry/buildings", "/api/v1/registry/buildings", "gw_a", "buildings", 4),
    Budget(
        "api/v1/registry/buildings/<building_id>/households",
        "/api/v1/registry/buildings/{building}/households",
        "gw_a",
        "households",
        5,
    ),
    Budget("api/v1/registry/residents", "/api/v1/registry/residents", "gw_a", "residents", 5),
    Budget("api/v1/registry/premises", "/api/v1/registry/premises", "gw_a", "premises", 4),
    Budget(
        "api/v1/registry/stats",
        "/api/v1/registry/stats",
        "community_worker",
        "grids_with_buildings",
        9,
    ),
    Budget("api/v1/registry/tags", "/api/v1/registry/tags", "gw_a", "tags", 3),
    Budget(
        "api/v1/registry/premises-categories",
        "/api/v1/registry/premises-categories",
        "gw_a",
        "premises_categories",
        3,
    ),
    Budget(
        "api/v1/imports/jobs/<job_id>/errors",
        "/api/v1/imports/jobs/{job}/errors",
        "gw_a",
        "import_errors",
        3,
    ),
    Budget("api/v1/notifications", "/api/v1/notifications", "gw_a", "notifications", 3),
    Budget(
        "api/v1/cases/queues",
        "/api/v1/cases/queues",
        "op_sub",
        "cases",
        14,
        total=lambda body: next(q["count"] for q in body if q["key"] == "all"),
    ),
    Budget("api/v1/cases/categories", "/api/v1/cases/categories", "gw_a", "categories", 4),
    Budget("api/v1/cases", "/api/v1/cases", "op_sub", "cases", 4),
    Budget(
        "api/v1/cases/extension-requests",
        "/api/v1/cases/extension-requests",
        "op_sub",
        "extension_requests",
        4,
    ),
    Budget(
        "api/v1/kpis",
        "/api/v1/kpis?unit={sub}&start={first}&end={today}",
        "op_sub",
        "cases",
        8,
        total=lambda body: body["counts"]["received"],
    ),
    Budget(
        "api/v1/kpis/by-child",
        "/api/v1/kpis/by-child?unit={community}&start={first}&end={today}",
        "op_sub",
        "grids",
        8,
    ),
    Budget(
        "api/v1/command/dashboard",
        "/api/v1/command/dashboard?unit={community}",
        "op_sub",
        "grids",
        38,
    ),
    Budget(
        "api/v1/command/cases",
        "/api/v1/command/cases?unit={sub}&start={first}&end={today}",
        "op_sub",
        "cases",
        10,
    ),
    Budget(
        "api/v1/command/wall",
        "/api/v1/command/wall?unit={community}",
        "op_sub",
        "grids",
        41,
        page=8,
    ),
    Budget(
        "api/v1/command/map/grids",
        "/api/v1/command/map/grids?unit={community}",
        "op_sub",
        "grids",
        9,
    ),
    Budget(
        "api/v1/command/map/markers",
        "/api/v1/command/map/markers?unit={sub}&bbox=112.3,34.5,112.6,34.7&zoom=18",
        "op_sub",
        "located_cases",
        5,
    ),
    Budget(
        "api/v1/command/monthly",
        "/api/v1/command/monthly?unit={community}&month={month}",
        "op_sub",
        "grids",
        72,  # the sections (ReportSection): inspections 4, care 10, disputes 6, points 4,
        # volunteers 7 (the unit's children, and a GROUP BY each of activities, sign-ups,
        # hours, attendance, patrols, volunteers), sharing 3, decide 5
    ),
    Budget(
        "api/v1/campaigns/hotspots",
        "/api/v1/campaigns/hotspots?unit={sub}",
        "op_sub",
        "same_cases",
        14,
        total=lambda body: body["items"][0]["case_total"],
    ),
    Budget("api/v1/campaigns", "/api/v1/campaigns", "op_sub", "campaigns", 6),
    Budget(
        "api/v1/campaigns/<int:campaign_id>",
        "/api/v1/campaigns/{campaign}",
        "op_sub",
        "campaign_cases",
        8,
    ),
    # -- Open311 -------------------------------------------------------------------------
    Budget(r"open311/v2/^requests\.(?P<fmt>[^/.]+)$", "/open311/v2/requests.json", "", "cases", 2),
    Budget(
        r"open311/v2/^services\.(?P<fmt>[^/.]+)$", "/open311/v2/services.json", "", "categories", 2
    ),
    # -- pages ---------------------------------------------------------------------------
    # 1 of them the disputes' workbench panel, 2 the points' (awards to approve, gifts to hand
    # over), 3 sharing's (huts kept, bookings, loans), 1 fieldwork's (tasks not done, late)
    Budget("", "/", "op_sub", "grids", 31, page=8),
    Budget("area/map/", "/area/map/", "op_sub", "grids", 6),
    Budget("area/units/<id:unit_id>/", "/area/units/{grid_a_id}/", "op_sub", "positions", 13),
    Budget(
        "area/units/<id:unit_id>/children/",
        "/area/units/{community_id}/children/",
        "op_sub",
        "grids",
        6,
    ),
    Budget("departments/", "/departments/", "op_district", "departments", 5),
    Budget("registry/", "/registry/", "community_worker", "grids_with_buildings", 11),
    Budget("registry/residents/", "/registry/residents/", "gw_a", "residents", 7),
    Budget("registry/buildings/", "/registry/buildings/", "gw_a", "buildings", 5),
    Budget(
        "registry/buildings/<id:building_id>/",
        "/registry/buildings/{building}/",
        "gw_a",
        "residents",
        8,
    ),
    Budget("registry/premises/", "/registry/premises/", "gw_a", "premises", 5),
    Budget("registry/import/", "/registry/import/", "gw_a", "import_jobs", 5, page=20),
    Budget("registry/import/<id:job_id>/", "/registry/import/{job}/", "gw_a", "import_errors", 5),
    Budget("inbox/", "/inbox/", "gw_a", "notifications", 5),
    Budget("cases/", "/cases/?queue=all", "op_sub", "cases", 17),
    Budget(
        "cases/new/buildings/", "/cases/new/buildings/?grid_id={grid_a_id}", "gw_a", "buildings", 6
    ),
    Budget("cases/extensions/", "/cases/extensions/", "op_sub", "extension_requests", 5),
    Budget("cases/kpis/", "/cases/kpis/?unit={community}", "op_sub", "grids", 15),
    Budget("cases/<id:case_id>/", "/cases/{case}/", "op_sub", "timeline", 11),
    # The sections (core.manifest.ReportSection): 5 inspections' (the unit, notices,
    # re-inspections, hazards, campaigns), 10 care's (its figures' GROUP BYs), 6 disputes',
    # 4 points' (movements by kind, outstanding, top earners, merchants), 7 volunteers' (the
    # children, a GROUP BY each of activities, sign-ups, hours, attendance, patrols,
    # volunteers), 3 sharing's (bookings, loans, items), 5 decide's (resolutions, meetings,
    # polls, satisfaction, suggestions)
    Budget("command/", "/command/?unit={community}", "op_sub", "grids", 80),
    Budget(
        "command/cases/",
        "/command/cases/?unit={sub}&start={first}&end={today}",
        "op_sub",
        "cases",
        12,
    ),
    Budget("command/wall/", "/command/wall/?unit={community}", "op_sub", "grids", 44, page=8),
    Budget("command/map/", "/command/map/?unit={community}", "op_sub", "grids", 7),
    Budget(
        "command/monthly/",
        "/command/monthly/?unit={community}&month={month}",
        "op_sub",
        "grids",
        74,  # the sections as on command/ (volunteers 7, sharing 3, decide 5)
    ),
    Budget("command/hotspots/", "/command/hotspots/?unit={sub}", "op_sub", "same_cases", 17),
    Budget("campaigns/", "/campaigns/", "op_sub", "campaigns", 7),
    Budget("campaigns/<id:campaign_id>/", "/campaigns/{campaign}/", "op_sub", "campaign_cases", 9),
    Budget("hotline/dead-letters/", "/hotline/dead-letters/", "admin", "hotline_dead_letters", 5),
    Budget("my/reports/", "/my/reports/", "phone", "resident_reports", 2),
    # -- points ----------------------------------------------------------------------------
    Budget(
        "api/v1/points/banks/<bank_id>/balances",
        "/api/v1/points/banks/{points_bank}/balances",
        "community_worker",
        "points_balances",
        5,
    ),
    Budget(
        "api/v1/points/accounts/<account_id>/movements",
        "/api/v1/points/accounts/{points_account}/movements",
        "community_worker",
        "points_movements",
        5,
    ),
    Budget("points/", "/points/", "community_worker", "points_balances", 6),
    Budget(
        "points/accounts/<id:account_id>/",
        "/points/accounts/{points_account}/",
        "community_worker",
        "points_movements",
        7,
    ),
    Budget(
        "points/accounts/<id:account_id>/print/",
        "/points/accounts/{points_account}/print/",
        "community_worker",
        "points_movements",
        6,
    ),
    Budget("my/points/", "/my/points/", "phone", "points_movements", 4),
    Budget("my/points/print/", "/my/points/print/", "phone", "points_movements", 3),
    Budget("my/buildings/", "/my/buildings/?community={community_id}", "", "buildings", 2),
    # -- sharing -----------------------------------------------------------------------
    Budget("api/v1/sharing/rooms", "/api/v1/sharing/rooms", "community_worker", "sharing_rooms", 4),
    Budget(
        "api/v1/sharing/rooms/<room_id>/availability",
        "/api/v1/sharing/rooms/{sharing_room}/availability?start={sharing_day}&days=1",
        "community_worker",
        "sharing_bookings",
        5,
    ),
    Budget(
        "api/v1/sharing/bookings",
        "/api/v1/sharing/bookings",
        "community_worker",
        "sharing_bookings",
        4,
    ),
    Budget("api/v1/sharing/huts", "/api/v1/sharing/huts", "community_worker", "sharing_huts", 4),
    Budget(
        "api/v1/sharing/huts/<hut_id>/items",
        "/api/v1/sharing/huts/{sharing_hut}/items",
        "community_worker",
        "sharing_items",
        5,
    ),
    Budget("api/v1/sharing/loans", "/api/v1/sharing/loans", "community_worker", "sharing_loans", 4),
    # The rooms with their week, the huts, the requests and the closed rooms to reopen.
    Budget("sharing/", "/sharing/", "community_worker", "sharing_rooms", 9),
    Budget(
        "sharing/rooms/<id:room_id>/",
        "/sharing/rooms/{sharing_room}/?week={sharing_week}",
        "community_worker",
        "sharing_bookings",
        7,
    ),
    Budget(
        "sharing/board/<id:unit_id>/",
        "/sharing/board/{sharing_unit}/",
        "community_worker",
        "sharing_rooms",
        7,
    ),
    Budget(
        "sharing/huts/<id:hut_id>/",
        "/sharing/huts/{sharing_hut}/",
        "community_worker",
        "sharing_items",
        9,
    ),
    Budget(
        "sharing/huts/<id:hut_id>/stats/",
        "/sharing/huts/{sharing_hut}/stats/",
        "community_worker",
        "sharing_loans",
        9,
    ),
    Budget("my/sharing/", "/my/sharing/", "phone", "sharing_my_bookings", 8),
    Budget(
        "my/sharing/huts/<id:hut_id>/",
        "/my/sharing/huts/{sharing_hut}/",
        "phone",
        "sharing_items",
        4,
    ),
    # -- care --------------------------------------------------------------------------
    Budget("api/v1/care/plans", "/api/v1/care/plans", "community_worker", "care_plans", 4),
    Budget("care/plans/", "/care/plans/", "community_worker", "care_plans", 7),
    Budget("api/v1/care/due", "/api/v1/care/due", "gw_a", "care_residents", 5),
    Budget("care/", "/care/", "gw_a", "care_residents", 6),
    Budget("care/residents/", "/care/residents/", "gw_a", "care_residents", 5),
    Budget(
        "api/v1/care/residents/<resident_id>/visits",
        "/api/v1/care/residents/{care_resident}/visits",
        "gw_a",
        "care_visits",
        7,
    ),
    Budget(
        "care/residents/<id:resident_id>/",
        "/care/residents/{care_resident}/",
        "gw_a",
        "care_visits",
        10,
    ),
    Budget("api/v1/care/wishes", "/api/v1/care/wishes", "community_worker", "care_wishes", 5),
    Budget("care/wishes/", "/care/wishes/", "community_worker", "care_wishes", 8),
    Budget("api/v1/care/board", "/api/v1/care/board", "gw_a", "care_board", 4),
    Budget("wishes/", "/wishes/", "", "care_board", 4),
    Budget("my/wishes/", "/my/wishes/", "phone", "care_my_wishes", 3),
    # -- volunteers and patrols ------------------------------------------------------------
    Budget(
        "api/v1/volunteers/volunteers",
        "/api/v1/volunteers/volunteers",
        "community_worker",
        "vol_volunteers",
        4,
    ),
    Budget(
        "api/v1/volunteers/activities",
        "/api/v1/volunteers/activities",
        "community_worker",
        "vol_activities",
        4,
    ),
    Budget(
        "api/v1/volunteers/partners",
        "/api/v1/volunteers/partners",
        "community_worker",
        "vol_partners",
        4,
    ),
    Budget("api/v1/patrols/", "/api/v1/patrols/", "gw_a", "patrols", 4),
    Budget("volunteers/", "/volunteers/", "community_worker", "vol_volunteers", 7),
    Budget(
        "volunteers/<id:volunteer_id>/",
        "/volunteers/{vol_volunteer}/",
        "community_worker",
        "vol_hours",
        8,
    ),
    Budget(
        "volunteers/activities/", "/volunteers/activities/", "community_worker", "vol_activities", 8
    ),
    Budget(
        "volunteers/activities/<id:activity_id>/",
        "/volunteers/activities/{vol_activity}/",
        "community_worker",
        "vol_signups",
        7,
    ),
    Budget("volunteers/hours/", "/volunteers/hours/", "community_worker", "vol_hours", 5),
    Budget("volunteers/partners/", "/volunteers/partners/", "community_worker", "vol_partners", 6),
    Budget(
        "volunteers/partners/<id:partner_id>/",
        "/volunteers/partners/{vol_partner}/",
        "community_worker",
        "vol_roles",
        10,
    ),
    Budget("activities/", "/activities/", "", "vol_activities", 1),
    Budget("my/volunteer/", "/my/volunteer/", "phone", "vol_mine", 5),
    Budget("patrols/", "/patrols/", "gw_a", "patrols", 8),
    # The patrol, its checkpoints with their cases, its track's parts, the categories.
    Budget("patrols/<id:patrol_id>/", "/patrols/{patrol}/", "gw_a", "patrol_points", 8),
    # -- fieldwork ---------------------------------------------------------------------
    Budget("api/v1/fieldwork/my-tasks", "/api/v1/fieldwork/my-tasks", "gw_a", "fw_tasks", 4),
    Budget("api/v1/fieldwork/tasks", "/api/v1/fieldwork/tasks", "community_worker", "fw_tasks", 4),
    Budget("fieldwork/", "/fieldwork/", "gw_a", "fw_tasks", 6),
    Budget("fieldwork/tasks/<id:task_id>/", "/fieldwork/tasks/{fw_task}/", "gw_a", "fw_reports", 9),
    # -- decide ------------------------------------------------------------------------
    Budget("api/v1/decide/polls", "/api/v1/decide/polls", "community_worker", "decide_polls", 5),
    Budget("decide/polls/", "/decide/polls/", "community_worker", "decide_polls", 5),
    Budget("my/decide/", "/my/decide/", "phone", "decide_polls", 7, page=20),
    Budget("api/v1/decide/topics", "/api/v1/decide/topics", "gw_a", "decide_topics", 5),
    Budget("decide/", "/decide/", "gw_a", "decide_topics", 6),
    Budget("decide/surveys/", "/decide/surveys/", "community_worker", "decide_surveys", 6),
    Budget(
        "decide/calls/<id:call_id>/",
        "/decide/calls/{decide_call}/",
        "community_worker",
        "decide_suggestions",
        7,
    ),
    Budget("decide/entries/", "/decide/entries/", "community_worker", "decide_entries", 5),
    Budget("board/<str:code>/", "/board/{community}/", "", "decide_public_board", 1),
    # -- Django's admin: the change lists -------------------------------------------------
    Budget("admin/orgs/orgunit/", "/admin/orgs/orgunit/", "superuser", "grids", 7),
    Budget("admin/orgs/department/", "/admin/orgs/department/", "superuser", "departments", 8),
    Budget("admin/accounts/user/", "/admin/accounts/user/", "superuser", "positions", 7),
    Budget("admin/accounts/position/", "/admin/accounts/position/", "superuser", "positions", 7),
    Budget("admin/registry/tag/", "/admin/registry/tag/", "superuser", "tags", 7),
    Budget(
        "admin/registry/premisescategory/",
        "/admin/registry/premisescategory/",
        "superuser",
        "premises_categories",
        7,
    ),
    Budget("admin/registry/building/", "/admin/registry/building/", "superuser", "buildings", 7),
    Budget("admin/registry/resident/", "/admin/registry/resident/", "superuser", "residents", 8),
    Budget("admin/registry/premises/", "/admin/registry/premises/", "superuser", "premises", 8),
    Budget("admin/imports/importjob/", "/admin/imports/importjob/", "superuser", "import_jobs", 7),
    Budget(
        "admin/notifications/notification/",
        "/admin/notifications/notification/",
        "superuser",
        "notifications",
        8,
    ),
    Budget("admin/cases/category/", "/admin/cases/category/", "superuser", "categories", 8),
    Budget("admin/cases/case/", "/admin/cases/case/", "superuser", "cases", 8),
    Budget(
        "admin/hotline/hotlineorder/",
        "/admin/hotline/hotlineorder/",
        "superuser",
        "hotline_dead_letters",
        8,
    ),
    Budget(
        "admin/hotline/outboundevent/",
        "/admin/hotline/outboundevent/",
        "superuser",
        "hotline_dead_letters",
        8,
    ),
    Budget("admin/campaigns/campaign/", "/admin/campaigns/campaign/", "superuser", "campaigns", 7),
    Budget(
        "admin/cases/deadlinepolicy/",
        "/admin/cases/deadlinepolicy/",
        "superuser",
        "deadline_policies",
        7,
    ),
    Budget("admin/accounts/apitoken/", "/admin/accounts/apitoken/", "superuser", "api_tokens", 7),
    Budget("admin/core/auditlog/", "/admin/core/auditlog/", "superuser", "residents", 11),
]

NOT_A_LIST = {
    # the grid worker's offline page
    "field/": (
        "the shell the phone keeps: the worker's grids (at most 200) and the categories; "
        "its lists come from the API"
    ),
    "sw.js": "the service worker: the names of the page's static files, no query",
    "field/manifest.webmanifest": "the web app manifest, no query",
    "api/v1/patrols/<patrol_id>/track": "one patrol's track: the patrol and its parts",
    # volunteers and patrols
    "api/v1/volunteers/figures": "aggregates of a unit and period (one GROUP BY a source)",
    "api/v1/patrols/months": "patrols a month and kind: one GROUP BY",
    "volunteers/<id:volunteer_id>/certificate/<int:year>/": "one volunteer's year: two sums",
    "volunteers/figures/": (
        "the API's figures, and the teams' and volunteers' figures: two GROUP BYs each, "
        "the names in one query"
    ),
    "volunteers/export/<slug:what>.xlsx": "a download of the same selectors",
    "volunteers/card/<slug:token>/": "one volunteer's confirmed activities of today (no overlap)",
    "activities/<id:activity_id>/": "one activity and the caller's sign-up",
    "my/volunteer/check/<slug:code>/": "one activity's check-in button",
    # fieldwork
    "api/v1/fieldwork/tasks/<task_id>": "one task, its grids with their sums (one GROUP BY) "
    "and who reported (one query)",
    "api/v1/fieldwork/log": "a worker's month: one query a registered source, and the notes",
    "api/v1/fieldwork/summary": "a unit's month: the workers, one query a source, the tasks due",
    "fieldwork/tasks/new/": "a form; its grid choices are the user's own (at most 200)",
    "fieldwork/reports/<id:report_id>/photo/": "one photo",
    "fieldwork/log/": "the same month as its API",
    "fieldwork/summary/": "the same month as its API, and the units to choose (at most 200)",
    # sharing
    "sharing/rooms/new/": "a form: the communities the user manages (at most 200)",
    "sharing/rooms/<id:room_id>/edit/": "one room's form",
    "sharing/huts/new/": "a form: the communities the user manages (at most 200)",
    "sharing/huts/<id:hut_id>/edit/": "one hut's form and its categories (a few)",
    "sharing/huts/<id:hut_id>/items/new/": "a form: the hut's categories",
    "sharing/items/<id:item_id>/edit/": "one item's form and its hut's categories",
    "sharing/items/<id:item_id>/photo/": "one item's photo (a file)",
    "sharing/rooms/<id:room_id>/ical/": "a feed: the room and its bookings, two queries",
    "sharing/bookings.xlsx": "a workbook of the bookings (at most 200,000 rows), audited",
    "sharing/loans.xlsx": "a workbook of the loans (at most 200,000 rows), audited",
    "my/sharing/rooms/<id:room_id>/": "one room's free times for at most 14 days (one query)",
    # care
    "api/v1/care/wishes/<wish_id>": "one wish",
    "care/wishes/<id:wish_id>/": "one wish and its forms",
    "care/residents/<id:resident_id>/visit/": "the visit form",
    "care/residents/<id:resident_id>/wish/": "the form of a new wish",
    "care/photos/<id:photo_id>": "one photo",
    "wishes/<id:wish_id>/": "one wish of the public board",
    "api/v1/care/figures": (
        "figures of a unit and its children: one grouped query per source (visits, due, "
        "overdue, not visited, wishes, claims), however many rows or children"
    ),
    "care/figures/": "the same figures as its API, and visits per worker in one grouped query",
    # disputes
    "api/v1/disputes/disputes/<dispute_id>": "one dispute with its parties, sessions, agreements",
    "api/v1/disputes/agreements/<agreement_id>/photo": "one photo",
    "api/v1/disputes/screening/summary": "a month's figures: three grouped queries",
    "api/v1/disputes/kpis": "a period's figures: five grouped queries",
    "disputes/<id:dispute_id>/": "one dispute with its parties, sessions, agreements",
    "disputes/<id:dispute_id>/notice/": "one notice on A4",
    "disputes/agreements/<id:agreement_id>/": "one agreement on A4",
    "disputes/agreements/<id:agreement_id>/photo/": "one photo",
    "disputes/new/": "a form; its grid choices are the user's own (at most 200)",
    "disputes/kpis/": "a period's figures, as its API",
    "disputes/xlsx/": "a workbook of the register (budgeted as its page)",
    "disputes/screening/xlsx/": "a workbook of the board and summary (budgeted as the page)",
    # decide
    "api/v1/decide/polls/<poll_id>": "one poll and its options",
    "api/v1/decide/polls/<poll_id>/result": "one poll's published count",
    "api/v1/decide/surveys/<survey_id>/results": "aggregates of one survey (one GROUP BY)",
    "decide/polls/<id:poll_id>/": "one poll, its count and the form of a paper ballot",
    "decide/polls/new/": "the form of a new poll (its units, buildings, a building's residents)",
    "decide/topics/new/": "the form of a topic (its units and buildings)",
    "decide/meetings/new/": "the form of a meeting (its units, rooms and latest 100 topics)",
    "decide/notices/new/": "the form of a notice (its units and buildings)",
    "decide/surveys/new/": "the form of a survey (its units)",
    "decide/calls/new/": "the form of a call for suggestions (its units)",
    "decide/outreach/new/": "the form of an outreach record (its units)",
    "decide/surveys/<id:survey_id>/": "aggregates of one survey (one GROUP BY), as its API",
    "decide/surveys/<id:survey_id>/results.xlsx": "a workbook of one survey's aggregates",
    "surveys/<id:survey_id>/": "the form of one survey",
    "surveys/<id:survey_id>/results/": "aggregates of one survey, public where chosen",
    "my/decide/polls/<id:poll_id>/": "one poll and the resident's vote",
    "my/decide/surveys/<id:survey_id>/": "the form of one survey",
    "my/decide/notices/<id:notice_id>/": "one notice (read once a phone)",
    "my/decide/calls/<id:call_id>/": "the form of one call and its latest 50 replies (one query)",
    # points
    "api/v1/points/banks": "the banks of the caller's communities: one query, at most 200",
    "api/v1/points/banks/<bank_id>/rules": "at most one rule a kind of event (six)",
    "api/v1/points/banks/<bank_id>/rewards": "a community's catalogue: one query",
    "api/v1/points/accounts/<account_id>": "one account",
    "api/v1/points/figures": "aggregates of a unit and period (four GROUP BY queries)",
    "api/v1/points/honour-board": "the top ten earners (the figures' aggregates)",
    "points/pending/": "two queues of at most 200 rows, each one query (select_related)",
    "points/banks/<id:bank_id>/": "a community's rules (six), catalogue and merchants",
    "points/report/": "aggregates of a unit and period, as its API",
    "points/report.xlsx": "a workbook of the figures",
    "points/merchant/": "a merchant's month statement: one query (select_related)",
    "points/merchant/statement.xlsx": "the same month statement as a workbook",
    "points/merchants/<id:merchant_id>/": "one merchant's month statement, as its counter's",
    "points/merchants/<id:merchant_id>/statement.xlsx": "the same as a workbook",
    "points/merchant/redeem/": "one scanned code",
    "my/points/rewards/": "a community's catalogue: one query",
    # inspections
    "api/v1/inspections/tasks/<task_id>": "one task and its checklist",
    "inspections/tasks/<id:task_id>/": "one task and its checklist form",
    "cases/xlsx/": "a download of one queue, refused above 10,000 rows, audited",
    "command/cases.xlsx": "a download of one drill-down, refused above 10,000 rows, audited",
    "api/v1/orgs/basemap": "the basemap of a box: one query, at most 4,000 features",
    "command/hotspots.xlsx": "a workbook of the hotspots page (budgeted as the page)",
    "campaigns/xlsx/": "a workbook of the campaign list (budgeted as the page)",
    "campaigns/<id:campaign_id>/cases.xlsx": "a campaign's cases through cases.exports",
    "audit/xlsx/": "a download of the filtered log, refused above 10,000 rows, audited",
    "my/grid/": "the service contacts of one phone's homes (at most 20) or of one building",
    "inspections/checklists/new/": "a form (at most 60 item rows, no query a row)",
    "inspections/checklists/<id:template_id>/edit/": "one checklist's form",
    "api/v1/inspections/campaigns/<campaign_id>": (
        "one campaign: its figures per round, grid and category come from one grouped query "
        "over its tasks and one for the grid names, however many rows"
    ),
    "inspections/campaigns/<id:campaign_id>/": "the same figures as its API, as a page",
    "inspections/campaigns/new/": "a form; its area choices are the user's own (at most 200)",
    "api/v1/inspections/notices/<notice_id>": "one notice",
    "api/v1/inspections/notices/<notice_id>/pdf": "one notice as a PDF",
    "inspections/notices/<id:notice_id>/": "one notice on A4",
    "inspections/notices/xlsx/": "a workbook of the notices list (budgeted as its page)",
    "inspections/campaigns/<id:campaign_id>/xlsx/": "a workbook of the campaign's report",
    "api/v1/inspections/notices/xlsx": "a workbook of the notices list",
    "api/v1/inspections/campaigns/<campaign_id>/xlsx": "a workbook of the campaign's report",
    "inspections/notices/<id:notice_id>/pdf/": "one notice as a PDF",
    "inspections/notices/<id:notice_id>/qr.svg": "one QR code",
    # the API
    "api/v1/": "ninja's API root, no content",
    "api/v1/openapi.json": "the OpenAPI schema, static for a release",
    "api/v1/docs": "the Swagger page, static",
    "api/v1/me": "the caller and their own positions (a handful, never a list of others)",
    "api/v1/orgs/locate": "one unit at a point",
    "api/v1/orgs/units/<unit_id>": "detail",
    "api/v1/registry/buildings/<building_id>": "detail",
    "api/v1/registry/residents/<resident_id>": "detail",
    "api/v1/registry/premises/<premises_id>": "detail",
    "api/v1/imports/jobs/<job_id>": "detail (status and progress)",
    "api/v1/cases/<case_id>": "detail",
    "api/v1/cases/kinds": "the registered kinds of case: code, not data (a handful)",
    "api/v1/cases/<case_id>/attachments/<attachment_id>": "download of one photo",
    "api/v1/cases/<case_id>/attachments/<attachment_id>/thumb": "download of one thumbnail",
    "api/v1/command/monthly.xlsx": "download (the monthly report's workbook)",
    # Open311
    "open311/v2/": "redirect to the discovery document",
    r"open311/v2/^discovery\.(?P<fmt>[^/.]+)$": "static discovery document",
    r"open311/v2/^services/(?P<code>[^/.]+)\.(?P<fmt>[^/.]+)$": "detail",
    r"open311/v2/^requests/(?P<number>[^/.]+)\.(?P<fmt>[^/.]+)$": "detail",
    r"open311/v2/^tokens/(?P<token>[^/.]+)\.(?P<fmt>[^/.]+)$": "detail",
    "open311/v2/^(?P<path>.*)$": "the Open311 404",
    # pages
    "healthz": "health check",
    "favicon.ico": "redirect to the logo",
    "login/": "form",
    "account/": "the user's own account",
    "account/password/": "form",
    "area/": "the user's scope roots only; their children load through children/",
    "area/boundaries/import/": "form",
    "area/units/<id:unit_id>/service-card/": "form",
    "registry/residents/new/": "form",
    "registry/residents/<id:resident_id>/": "detail",
    "registry/residents/<id:resident_id>/edit/": "form",
    "registry/buildings/new/": "form",
    "registry/buildings/<id:building_id>/edit/": "form",
    "registry/premises/new/": "form",
    "registry/premises/<id:premises_id>/": "detail",
    "registry/premises/<id:premises_id>/edit/": "form",
    "registry/import/template/<str:kind>.xlsx": "download (an empty template)",
    "registry/import/<id:job_id>/progress/": "one job's progress bar",
    "registry/export/residents.xlsx": "download",
    "registry/export/buildings.xlsx": "download",
    "registry/export/premises.xlsx": "download",
    "inbox/<id:notification_id>/": "marks one read and redirects to its link",
    "cases/new/": "form",
    "command/monthly.xlsx": "download (the monthly report's workbook)",
    "campaigns/new/": "form",
    "hotline/import/": "upload form",
    "my/": "the resident's start page",
    "my/phone/": "form",
    "my/phone/code/": "form",
    "my/report/": "form",
    "my/reports/<id:case_id>/": "detail",
    "my/reports/<id:case_id>/photos/<id:attachment_id>/": "download of one photo",
    "my/reports/<id:case_id>/photos/<id:attachment_id>/thumb/": "download of one thumbnail",
    # Django's admin: its change lists are budgeted above, or here
    "admin/auth/group/": "Django's groups, unused (roles are positions)",
    "admin/core/calendarday/": "the holiday calendar: no relation in list_display",
    "admin/open311/serviceattribute/": "a few rows per category, list_select_related set",
}

# Django's admin serves a change list per model (budgeted or in NOT_A_LIST like any list)
# and, around them, pages of one object, forms and redirects, none of them a list.
ADMIN_CHANGE_LIST = re.compile(r"^admin/\w+/\w+/$")


def _admin_but_a_change_list(route: str) -> bool:
    return route.startswith("admin/") and (
        route == "admin/password_change/done/" or not ADMIN_CHANGE_LIST.match(route)
    )


# -- the routes that answer GET ----------------------------------------------------------


def _methods(callback) -> list[str] | None:
    """The methods a view accepts when a require_http_methods decorator says so (found in
    the closures down the __wrapped__ chain), a class-based view's handlers, else None."""
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return [m.upper() for m in view_class.http_method_names if hasattr(view_class, m)]
    f = callback
    while f is not None:
        if inspect.isfunction(f):
            found = inspect.getclosurevars(f).nonlocals.get("request_method_list")
            if found is not None:
                return list(found)
        f = getattr(f, "__wrapped__", None)
    return None


def _answers_get(callback) -> bool:
    if inspect.isfunction(callback) and callback.__name__ == "sync_view_wrapper":
        # django-ninja: one URL pattern per path, serving each operation's methods.
        path_view = inspect.getclosurevars(callback).nonlocals["self"]
        return any("GET" in op.methods for op in path_view.operations)
    methods = _methods(callback)
    return methods is None or "GET" in methods


def get_routes() -> set[str]:
    """Every route of the URL conf answering GET, spelled as its nested patterns joined."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.callback

    return {
        route for route, callback in walk(get_resolver().url_patterns) if _answers_get(callback)
    }


def test_every_get_route_is_budgeted():
    routes = {r for r in get_routes() if not _admin_but_a_change_list(r)}
    budgeted = {b.route for b in BUDGETS}
    assert len(budgeted) == len(BUDGETS), "a route is budgeted twice"
    assert not budgeted & set(NOT_A_LIST), budgeted & set(NOT_A_LIST)
    assert routes - budgeted - set(NOT_A_LIST) == set(), "list routes without a budget"
    assert (budgeted | set(NOT_A_LIST)) - routes == set(), "stale entries (no such GET route)"
    assert "api/v1/cases" in routes and "api/v1/cases/<case_id>/register" not in routes


# -- the budgets -------------------------------------------------------------------------


@pytest.fixture
def scene(tree, people, settings, tmp_path):
    """The rows' makers; photos in the test's folder, and the point locator (a per-process
    cache of boundaries, which Scene.grids adds to) rebuilt after."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield Scene(tree, people)
    locator.invalidate()


def _client(scene, user: str) -> Client:
    client = Client()
    if user == "phone":
        session = client.session
        selfservice.remember(session, pii.seal_phone(scene.ids.phone))
        session.save()
        client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    elif user == "superuser":
        scene.people.admin.is_superuser = True
        scene.people.admin.save()
        client.force_login(scene.people.admin)
    elif user:
        client.force_login(getattr(scene.people, user))
    return client


def _url(budget: Budget, scene: Scene) -> str:
    today = timezone.localdate()
    tree = scene.tree
    values = {
        "today": today.isoformat(),
        "first": today.replace(day=1).isoformat(),
        "month": today.strftime("%Y-%m"),
        "district": tree.district.code,
        "sub": tree.sub.code,
        "community": tree.community.code,
        "community_id": tree.community.pk,
        "grid_a_id": tree.grid_a.pk,
        **vars(scene.ids),
    }
    return budget.url.format(**values)


def _rows_seen(budget: Budget, response, markers: list[str]) -> int:
    if budget.total is not None:
        return budget.total(response.json())
    if response["Content-Type"].startswith("application/json"):
        text = json.dumps(response.json(), ensure_ascii=False)
    else:
        text = response.content.decode()
    return sum(marker in text for marker in markers)


def _count(budget: Budget, client: Client, url: str, markers: list[str]):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    return len(queries), _rows_seen(budget, response, markers), queries


def _sql(queries) -> str:
    """The statements, their column lists cut, so a repeated one reads at a glance."""
    return "\n".join(
        re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", q["sql"])[:300]
        for q in queries.captured_queries
    )


@pytest.mark.parametrize("budget", [pytest.param(b, id=b.url.split("?")[0]) for b in BUDGETS])
def test_query_budget(budget, scene):
    """3 rows, then 30: the same queries, exactly the budget, every row listed."""
    make = getattr(scene, budget.rows)
    markers = make(FEW)
    client = _client(scene, budget.user)
    url = _url(budget, scene)
    client.get(url)
    few, seen_few, _ = _count(budget, client, url, markers)
    markers += make(MANY - FEW)
    many, seen_many, many_sql = _count(budget, client, url, markers)
    assert (seen_few, seen_many) == (FEW, min(MANY, budget.page))
    assert few == many, f"{few} → {many} queries:\n{_sql(many_sql)}"
    assert many == budget.queries, f"{many} queries:\n{_sql(many_sql)}"
