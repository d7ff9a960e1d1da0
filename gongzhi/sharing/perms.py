"""The permissions of sharing, granted to the core roles in SharingConfig.ready()
(core.roles.grant_permissions): within each position's own area, like every other. A
hut's keepers (users named on the Hut, often resident volunteers) work its counter
without a role."""

from gongzhi.core.roles import Role

VIEW = "sharing.view"  # rooms, bookings, the hut's loans and their figures (masked)
BOOK = "sharing.book"  # book for teams and partners, approve, cancel, check in, no-show
MANAGE = "sharing.manage"  # rooms and their rules, closures, series, huts, items, repair
KEEP = "sharing.keep"  # the hut's counter: check out and in

GRANTS = {
    Role.ADMIN: {VIEW, MANAGE},
    Role.OPERATOR: {VIEW, BOOK, MANAGE},
    Role.LEADER: {VIEW},
    Role.COMMUNITY_WORKER: {VIEW, BOOK, MANAGE, KEEP},
    Role.GRID_WORKER: {VIEW, BOOK},
}


def managed(user, obj):
    """`obj` (a room, hut or item; None when missing) if `user` manages it: 404 outside
    their area (the same answer as a missing one), 403 where they only see it."""
    from django.utils.translation import gettext as _

    from gongzhi.core.errors import NotFound, PermissionDenied
    from gongzhi.core.permissions import can

    if obj is None or not can(user, VIEW, obj):
        raise NotFound(_("Not found."))
    if not can(user, MANAGE, obj):
        raise PermissionDenied(_("You may not do this."))
    return obj
