"""The permissions of fieldwork, granted to the core roles in FieldworkConfig.ready()."""

from gongzhi.core.roles import Role

VIEW = "fieldwork.view"  # the tasks sent to grids of one's area, and their progress
ASSIGN = "fieldwork.assign"  # send tasks to the grids of one's area, cancel them
REPORT = "fieldwork.report"  # do the tasks of one's grid; keep one's own work log
ASSESS = "fieldwork.assess"  # the monthly work summary of the workers of one's area (考核)

GRANTS = {
    Role.ADMIN: {VIEW, ASSESS},
    Role.OPERATOR: {VIEW, ASSIGN, ASSESS},
    Role.LEADER: {VIEW, ASSESS},
    Role.COMMUNITY_WORKER: {VIEW, ASSIGN, ASSESS},
    Role.GRID_WORKER: {VIEW, REPORT},
}
