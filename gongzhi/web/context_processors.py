from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.core import permissions
from gongzhi.core.roles import Perm, Role
from gongzhi.notifications.selectors import unread_count


def navigation(request):
    """The menu for the signed-in user: only what their roles can open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [("home", _("Workbench"), reverse("home"), "home")]
    # Cases come second: on a phone the tab bar shows the first four items and "Me"
    # (app.css, cases section), so the least used item (departments) drops off there.
    if permissions.can(user, Perm.CASE_VIEW) or permissions.can(user, Perm.CASE_REPORT):
        items.append(("cases", _("Cases"), reverse("cases"), "cases"))
    # The grid worker's day on a phone, online or not (web/field_views.py). On a phone the
    # tab bar holds four items and "Me": theirs are the workbench, cases, field work and
    # places and people; their area stays in the side menu and on the workbench.
    field_worker = Role.GRID_WORKER in permissions.roles_of(user)
    if field_worker:
        items.append(("field", _("Field work"), reverse("field"), "camera"))
    if permissions.can(user, Perm.COMMAND_VIEW):
        items.append(("command", _("Command center"), reverse("command_dashboard"), "chart"))
    area = ("area", _("My area"), reverse("area"), "map")
    if permissions.can(user, Perm.ORGS_VIEW) and not field_worker:
        items.append(area)
    if permissions.can(user, Perm.REGISTRY_VIEW):
        items.append(("registry", _("Places and people"), reverse("registry"), "people"))
    if permissions.can(user, Perm.ORGS_VIEW) and field_worker:
        items.append(area)
    if permissions.can(user, Perm.DEPARTMENTS_VIEW):
        items.append(("departments", _("Departments"), reverse("departments"), "building"))
    if permissions.can(user, Perm.AUDIT_VIEW):
        items.append(("audit", _("Audit log"), reverse("audit"), "search"))
    items.append(("account", _("Me"), reverse("account"), "user"))
    roles = permissions.roles_of(user)
    role_labels = [str(Role(r).label) for r in Role.values if r in roles]
    return {
        "nav_items": items,
        "nav_role_labels": role_labels,
        "nav_admin": user.is_staff,
        "nav_unread": unread_count(user),
    }
