"""The permissions of patrols, granted to the core roles in PatrolsConfig.ready()."""

from gongzhi.core.roles import Role

VIEW = "patrols.view"  # the patrols of one's area and their counts
PATROL = "patrols.patrol"  # walk a patrol: start, visit checkpoints, report findings, end

GRANTS = {
    Role.ADMIN: {VIEW},
    Role.OPERATOR: {VIEW},
    Role.LEADER: {VIEW},
    Role.COMMUNITY_WORKER: {VIEW, PATROL},
    Role.GRID_WORKER: {VIEW, PATROL},
}
