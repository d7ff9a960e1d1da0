"""The permissions of disputes, granted to the core roles in DisputesConfig.ready()
(core.roles.grant_permissions), each within the position's own area.

Party data (names, phones, 身份证号), the confidential account and the minutes are shown
only with VIEW (or to the dispute's assigned mediator); STATS gives the figures alone."""

from gongzhi.core.roles import Role

VIEW = "disputes.view"  # the register with its parties, account, sessions and agreements
REPORT = "disputes.report"  # register a dispute found in one's area (the phone form)
MANAGE = "disputes.manage"  # assign mediators, keep the roster of mediators
SCREEN = "disputes.screen"  # file the monthly screening report of one's units
STATS = "disputes.stats"  # the screening board, the month's summary and the KPIs
TYPES = "disputes.types"  # edit the list of dispute types (the installation's)

GRANTS = {
    Role.ADMIN: {STATS, TYPES},
    Role.OPERATOR: {VIEW, MANAGE, STATS, TYPES},
    Role.LEADER: {STATS},
    Role.COMMUNITY_WORKER: {VIEW, REPORT, MANAGE, SCREEN, STATS},
    Role.GRID_WORKER: {REPORT, SCREEN},
}
