"""Exports of the registry lists as xlsx, in the import formats (plus read-only columns).

Rows come from the registry's scoped selectors with the list's filters, are streamed
from the database in chunks and written by XlsxWriter in constant_memory mode into an
anonymous temporary file, which the response streams and then closes (and the system
deletes). Personal data is masked unless the user holds EXPORT_UNMASKED for the row's
area; in a masked export the birth date is left out too, since with the masked
身份证号 it gives the number away. Every export is audited: kind, filters, row count,
masked or not.
"""

import datetime as dt
import tempfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core import crypto, permissions, xlsx
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.pii_text import mask_personal_text
from gongzhi.core.roles import Perm
from gongzhi.imports.formats import (
    BUILDINGS,
    PREMISES,
    RELATIONSHIP_NAMES,
    RESIDENCE_TYPE_NAMES,
    RESIDENTS,
    SHEET_NAMES,
    Format,
)
from gongzhi.imports.models import ImportKind
from gongzhi.registry import pii, selectors
from gongzhi.registry.models import Gender
from gongzhi.registry.selectors import residents_search

CHUNK = 2000
_ID_LIKE = 15  # a search term this long and all digits may be an ID number or a phone


def export_max_rows() -> int:
    return getattr(settings, "EXPORT_MAX_ROWS", 200_000)


@dataclass
class ExportFile:
    file: IO[bytes]  # positioned at the start; the caller closes it
    filename: str
    rows: int


def _check(actor, qs) -> int:
    if not permissions.can(actor, Perm.REGISTRY_VIEW):
        raise PermissionDenied(_("You may not export the registry."))
    count = qs.count()
    limit = export_max_rows()
    if count > limit:
        raise DomainError(
            _(
                "The list has %(count)d rows, more than %(max)d can be exported at once. "
                "Choose a smaller area and export again."
            )
            % {"count": count, "max": limit},
            code="export_too_large",
            details={"rows": count, "max": limit},
        )
    return count


def _audit_filters(filters: dict) -> dict:
    """The filters as the audit row keeps them: a search by 身份证号 or phone is masked."""
    out = {k: v for k, v in filters.items() if v not in (None, "")}
    q = str(out.get("q", ""))
    digits = q.replace("X", "").replace("x", "")
    if q and digits.isdigit() and len(q) >= 7:
        out["q"] = crypto.mask_id_number(q) if len(q) >= _ID_LIKE else crypto.mask_phone(q)
    return out


def _headers(fmt: Format, keys: list[str]) -> list[str]:
    return [fmt.column(k).header for k in keys]


def _write(kind: str, fmt: Format, keys: list[str], rows) -> tuple[IO[bytes], int]:
    out = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    wb = xlsx.Workbook(out, {"constant_memory": True})
    head = wb.add_format({"bold": True, "bg_color": "#E8EFFB", "border": 1})
    sheet = wb.add_worksheet(SHEET_NAMES[kind])
    for col, key in enumerate(keys):
        column = fmt.column(key)
        sheet.set_column(col, col, column.width)
    sheet.write_row(0, 0, _headers(fmt, keys), head)
    n = 0
    for n, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(n, col, value)  # digits stay text: IDs, codes, rooms
            else:
                sheet.write_number(n, col, value)
    wb.close()
    out.seek(0)
    return out, n


def _filename(kind: str) -> str:
    return f"{SHEET_NAMES[kind]}_{timezone.localdate():%Y%m%d}.xlsx"


def _record(actor, kind: str, filters: dict, rows: int, masked: bool, unmasked_rows: int):
    audit_record(
        actor=actor,
        action="registry.exported",
        object_type=f"registry.{kind}",
        object_repr=str(ImportKind(kind).label),
        changes={
            "kind": kind,
            "filters": _audit_filters(filters),
            "rows": rows,
            "masked": masked,
            "unmasked_rows": unmasked_rows,
        },
    )


def residents_export(
    *,
    actor,
    q: str = "",
    within: str = "",
    residence_type: str = "",
    tag_id: int | None = None,
    building_id: int | None = None,
    masked: bool = False,
) -> ExportFile:
    """The resident list as filtered by residents_search, as xlsx."""
    filters = {
        "q": q,
        "within": within,
        "residence_type": residence_type,
        "tag_id": tag_id,
        "building_id": building_id,
    }
    qs = residents_search(actor, **filters)
    _check(actor, qs)
    reveal = permissions.scope_for(actor, Perm.EXPORT_UNMASKED)
    revealed = 0
    keys = [
        "grid",
        "grid_name",
        "name",
        "id_number",
        "gender",
        "birth_date",
        "phone",
        "residence_type",
        "relationship",
        "building",
        "unit_name",
        "room",
        "tags",
        "note",
    ]

    def rows():
        nonlocal revealed
        genders = {Gender.MALE: "男", Gender.FEMALE: "女"}
        for r in qs.order_by("org_code", "pk").prefetch_related("tags").iterator(chunk_size=CHUNK):
            full = not masked and reveal.covers_code(r.org_code)
            revealed += full
            household = r.household
            yield [
                r.org_code,
                r.grid.name,
                r.name,
                pii.open_id_number(r) if full else r.id_number_masked,
                genders.get(r.gender, ""),
                r.birth_date.isoformat() if full and isinstance(r.birth_date, dt.date) else "",
                pii.open_phone(r) if full else r.phone_masked,
                RESIDENCE_TYPE_NAMES.get(r.residence_type, r.residence_type),
                RELATIONSHIP_NAMES.get(r.relationship, r.relationship),
                household.building.name if household else "",
                household.unit_name if household else "",
                household.room if household else "",
                "、".join(t.name for t in r.tags.all()),
                r.note if full else mask_personal_text(r.note),
            ]

    file, n = _write(ImportKind.RESIDENTS, RESIDENTS, keys, rows())
    _record(actor, ImportKind.RESIDENTS, filters, n, revealed == 0, revealed)
    return ExportFile(file, _filename(ImportKind.RESIDENTS), n)


def buildings_export(*, actor, q: str = "", within: str = "") -> ExportFile:
    qs = selectors.buildings_visible_to(actor)
    if q:
        qs = qs.filter(name__contains=q)  # as the registry's list
    if within:
        qs = qs.filter(org_code__within=within)
    _check(actor, qs)
    keys = ["grid", "grid_name", "name", "address", "floors", "lng", "lat", "crs"]

    def rows():
        for b in qs.order_by("org_code", "name", "pk").iterator(chunk_size=CHUNK):
            located = b.lng is not None and b.lat is not None
            yield [
                b.org_code,
                b.grid.name,
                b.name,
                b.address,
                b.floors,
                b.lng,
                b.lat,
                "wgs84" if located else "",
            ]

    file, n = _write(ImportKind.BUILDINGS, BUILDINGS, keys, rows())
    _record(actor, ImportKind.BUILDINGS, {"q": q, "within": within}, n, True, 0)
    return ExportFile(file, _filename(ImportKind.BUILDINGS), n)


def premises_export(
    *, actor, q: str = "", within: str = "", category_id: int | None = None, masked: bool = False
) -> ExportFile:
    qs = selectors.premises_visible_to(actor)
    if q:
        qs = qs.filter(name__contains=q)  # as the registry's list
    if within:
        qs = qs.filter(org_code__within=within)
    if category_id:
        qs = qs.filter(category_id=category_id)
    _check(actor, qs)
    reveal = permissions.scope_for(actor, Perm.EXPORT_UNMASKED)
    revealed = 0
    keys = [
        "grid",
        "grid_name",
        "name",
        "category",
        "address",
        "responsible_name",
        "phone",
        "uscc",
        "lng",
        "lat",
        "crs",
    ]

    def rows():
        nonlocal revealed
        for p in qs.order_by("org_code", "name", "pk").iterator(chunk_size=CHUNK):
            full = not masked and reveal.covers_code(p.org_code)
            revealed += full
            located = p.lng is not None and p.lat is not None
            yield [
                p.org_code,
                p.grid.name,
                p.name,
                p.category.name,
                p.address,
                p.responsible_name,
                pii.open_phone(p) if full else p.phone_masked,
                p.uscc or "",
                p.lng,
                p.lat,
                "wgs84" if located else "",
            ]

    file, n = _write(ImportKind.PREMISES, PREMISES, keys, rows())
    filters = {"q": q, "within": within, "category_id": category_id}
    _record(actor, ImportKind.PREMISES, filters, n, revealed == 0, revealed)
    return ExportFile(file, _filename(ImportKind.PREMISES), n)
