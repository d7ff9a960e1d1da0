"""The permissions of volunteers, granted to the core roles in VolunteersConfig.ready()
(core.roles.grant_permissions): within each position's own area, like every other."""

from gongzhi.core.roles import Role

VIEW = "volunteers.view"  # volunteers (masked), teams, activities, hours, partners, figures
MANAGE = "volunteers.manage"  # approve volunteers, teams, activities, sign-ups, check-in, hours
PARTNERS = "volunteers.partners"  # the register of partners and their roles

GRANTS = {
    Role.ADMIN: {VIEW},
    Role.OPERATOR: {VIEW},
    Role.LEADER: {VIEW},
    Role.COMMUNITY_WORKER: {VIEW, MANAGE, PARTNERS},
    Role.GRID_WORKER: {VIEW},
}
