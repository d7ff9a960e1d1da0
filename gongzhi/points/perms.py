"""The permissions of the points bank, granted to the core roles in PointsConfig.ready()
(core.roles.grant_permissions): within each position's own area, like every other.
Merchant staff hold no role: they are the users named on a Merchant (`Merchant.staff`)."""

from gongzhi.core.roles import Role

VIEW = "points.view"  # balances, passbooks, the catalogue, the figures
AWARD = "points.award"  # award or deduct points at the counter (the desk)
MANAGE = "points.manage"  # earning rules, catalogue, merchants, approvals, reversals

GRANTS = {
    Role.ADMIN: {VIEW, MANAGE},
    Role.OPERATOR: {VIEW, MANAGE},
    Role.LEADER: {VIEW},
    Role.COMMUNITY_WORKER: {VIEW, AWARD, MANAGE},
    Role.GRID_WORKER: {VIEW, AWARD},
}
