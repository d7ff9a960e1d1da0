"""The permissions of care, granted to the core roles in CareConfig.ready()
(core.roles.grant_permissions): within each position's own area, like every other."""

from gongzhi.core.roles import Role

VIEW = "care.view"  # residents' visits, plans, wishes and their figures (masked)
VISIT = "care.visit"  # record visits and collect wishes for residents of one's area
PLAN = "care.plan"  # edit the visit plans of one's area
WISHES = "care.wishes"  # review and publish wishes, claim for a partner, confirm, follow up

GRANTS = {
    Role.ADMIN: {VIEW, PLAN},
    Role.OPERATOR: {VIEW, PLAN, WISHES},
    Role.LEADER: {VIEW},
    Role.COMMUNITY_WORKER: {VIEW, VISIT, PLAN, WISHES},
    Role.GRID_WORKER: {VIEW, VISIT},
}
