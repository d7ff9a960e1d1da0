"""The audit view (/audit/): administrators and leaders read who revealed whose personal
data, who exported what and who changed what — filtered by person, action, object and
period, a keyset page at a time, and downloaded as a workbook (itself audited).
Scope and filters: accounts.audit."""

import io
import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.accounts import audit
from gongzhi.core import xlsx
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import DomainError, Invalid, NotFound
from gongzhi.core.http.error_page import domain_error_page
from gongzhi.core.http.pagination import keyset_page
from gongzhi.core.manifest import audit_action_label

PAGE = 50
MAX_EXPORT = 10_000


def _reader(request):
    if not audit.may_read_audit(request.user):
        raise NotFound(_("Not found."))


def _changes(row) -> str:
    if not row.changes:
        return ""
    return json.dumps(row.changes, ensure_ascii=False, sort_keys=True, default=str)[:300]


@login_required
@require_GET
def audit_page(request):
    _reader(request)
    error, status = "", 200
    try:
        f = audit.parse_filter(request.GET)
    except Invalid as exc:
        f, error, status = audit.AuditFilter(), exc.message, 400
    try:
        rows, next_cursor = keyset_page(
            audit.audit_rows(request.user, f),
            ordering=("-at", "-id"),
            cursor=request.GET.get("cursor") or None,
            limit=PAGE,
        )
    except DomainError:  # a cursor that is not one: the first page
        rows, next_cursor = keyset_page(
            audit.audit_rows(request.user, f), ordering=("-at", "-id"), cursor=None, limit=PAGE
        )
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "web/audit.html",
        {
            "rows": [
                {
                    "row": r,
                    "label": audit_action_label(r.action),
                    "changes": _changes(r),
                    "type_label": audit.object_type_label(r.object_type) if r.object_type else "",
                }
                for r in rows
            ],
            "next_cursor": next_cursor,
            "f": f,
            "actions": audit.actions_seen(request.user),
            "object_types": audit.object_types_seen(request.user),
            "query": query.urlencode(),
            "error": error,
            "active_nav": "audit",
        },
        status=status,
    )


@login_required
@require_GET
def audit_xlsx(request):
    """The filtered rows as a workbook; refused above MAX_EXPORT rows (narrow the filter)."""
    _reader(request)
    try:
        f = audit.parse_filter(request.GET)
    except Invalid as exc:
        return domain_error_page(request, 400, exc.message)
    rows = audit.audit_rows(request.user, f).order_by("-at", "-id")
    count = rows[: MAX_EXPORT + 1].count()
    if count > MAX_EXPORT:
        message = _(
            "More than %(n)s entries match: narrow the filter (a person, an action or a "
            "shorter period) and download again."
        ) % {"n": f"{MAX_EXPORT:,}"}
        return domain_error_page(request, 400, message)
    out = io.BytesIO()
    book = xlsx.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    ws = book.add_worksheet(_("Audit log")[:31])
    heads = [_("Time"), _("Person"), _("Action"), _("Object type"), _("Object"), _("Object id"),
             _("Changes"), _("IP address")]  # fmt: skip
    for col, head in enumerate(heads):
        ws.write(0, col, str(head), bold)
    for n, r in enumerate(rows.iterator(), start=1):
        at = timezone.localtime(r.at).strftime("%Y-%m-%d %H:%M:%S")
        kind = audit.object_type_label(r.object_type) if r.object_type else ""
        values = [at, r.actor_name, audit_action_label(r.action), kind, r.object_repr,
                  r.object_id, _changes(r), r.ip or ""]  # fmt: skip
        for col, value in enumerate(values):
            ws.write_string(n, col, str(value))
    ws.set_column(0, 0, 20)
    ws.set_column(1, 2, 18)
    ws.set_column(3, 6, 24)
    ws.freeze_panes(1, 0)
    book.close()
    audit_record(
        actor=request.user,
        action="audit.export",
        object_type="core.auditlog",
        changes={"rows": count, "filter": {k: str(v) for k, v in vars(f).items() if v}},
    )
    name = f"审计日志_{timezone.localdate():%Y%m%d}.xlsx"
    return xlsx.response(out.getvalue(), name)


urlpatterns = [
    path("audit/", audit_page, name="audit"),
    path("audit/xlsx/", audit_xlsx, name="audit_xlsx"),
]
