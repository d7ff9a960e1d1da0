"""The permissions of residents' decisions, granted to the core roles in
DecideConfig.ready() (core.roles.grant_permissions), each within the position's area."""

from gongzhi.core.roles import Role

VIEW = "decide.view"  # polls, topics, resolutions, surveys, suggestions, the board (masked)
RUN = "decide.run"  # topics, meetings, resolutions' progress, paper ballots, suggestions entered
PROPOSE = "decide.propose"  # raise a topic, propose a board entry
MANAGE = "decide.manage"  # open and close polls, surveys and calls; approve the board; reply

GRANTS = {
    Role.ADMIN: {VIEW, RUN, PROPOSE, MANAGE},
    Role.OPERATOR: {VIEW, MANAGE},
    Role.LEADER: {VIEW},
    Role.COMMUNITY_WORKER: {VIEW, RUN, PROPOSE, MANAGE},
    Role.GRID_WORKER: {VIEW, RUN, PROPOSE},
    Role.BUILDING_HEAD: {VIEW, PROPOSE},
}
