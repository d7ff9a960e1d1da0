"""The permissions of inspections, granted to the core roles in InspectionsConfig.ready()
(core.roles.grant_permissions): within each position's own area, like every other."""

from gongzhi.core.roles import Role

VIEW = "inspections.view"  # campaigns, tasks, results, hazards and their figures
INSPECT = "inspections.inspect"  # inspect the premises of one's grid: submit a result
MANAGE = "inspections.manage"  # run campaigns and rounds in one's area
TEMPLATES = "inspections.templates"  # edit the checklists (the whole installation's)

GRANTS = {
    Role.ADMIN: {VIEW, TEMPLATES},
    Role.OPERATOR: {VIEW, MANAGE, TEMPLATES},
    Role.LEADER: {VIEW},
    Role.COMMUNITY_WORKER: {VIEW, INSPECT, MANAGE},
    Role.GRID_WORKER: {VIEW, INSPECT},
}
