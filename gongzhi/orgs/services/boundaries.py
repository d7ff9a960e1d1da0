"""Importing org-unit boundaries from a GeoJSON FeatureCollection: all or nothing.

Each feature names its unit by `properties.code` and carries a Polygon or
MultiPolygon. Everything is checked before anything is written; one bad feature
refuses the whole file with a list of every problem found. Overlapping siblings
are only warned about: neighbouring grids drawn by different people rarely share
an edge exactly, and the locator resolves a point in both deterministically.
"""

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import shapely
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core import permissions
from gongzhi.core.audit import audit_record
from gongzhi.core.errors import DomainError, PermissionDenied
from gongzhi.core.roles import CODE_LENGTH, Perm
from gongzhi.orgs import geo, locator
from gongzhi.orgs.geo import Crs, Problem
from gongzhi.orgs.models import OrgUnit

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_FEATURES = 20_000
# A hand-drawn grid has tens to hundreds of vertices, a surveyed district some
# thousands; these bound the memory and time one upload may take.
MAX_FEATURE_VERTICES = 50_000
MAX_TOTAL_VERTICES = 500_000
# Problems listed in one refusal; the count in the message covers the rest.
MAX_REPORTED_ISSUES = 200
# Children named in one "no longer contains" problem.
_NAMED_CHILDREN = 3
_LENGTHS_DESC = sorted(set(CODE_LENGTH.values()), reverse=True)


class PayloadTooLarge(DomainError):
    code = "too_large"
    status = 413


def payload_too_large() -> PayloadTooLarge:
    return PayloadTooLarge(
        _("The file is larger than %(mb)d MB; split it by subdistrict or community.")
        % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
    )


@dataclass(frozen=True)
class BoundaryIssue:
    """One problem (or warning) with one feature; index is its 0-based position, or None
    when the problem is with the file as a whole."""

    index: int | None
    code: str
    reason: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class ImportReport:
    crs: str
    imported: int = 0
    added: int = 0  # units that had no boundary before
    replaced: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    warnings: list[BoundaryIssue] = field(default_factory=list)


def org_boundaries_import(*, actor, data: bytes | str, crs: str = Crs.WGS84) -> ImportReport:
    """Set the boundaries of the units named in the GeoJSON `data` (given in `crs`).

    Refused as a whole (DomainError `invalid_geojson`, every problem in `details`) when
    any feature is malformed, names a unit outside the actor's area, is not a valid
    polygon, leaves the polygon of its nearest ancestor that has one, or would leave a
    stored child outside it.
    """
    if permissions.scope_for(actor, Perm.ORGS_MANAGE).is_empty:
        raise PermissionDenied(_("You may not import boundaries."))
    if crs not in Crs.values:
        raise DomainError(
            _("Unknown coordinate system “%(crs)s”.") % {"crs": str(crs)[:20]}, code="invalid_crs"
        )
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    features = _load_features(raw)

    issues: dict[int, BoundaryIssue] = {}
    entries = _read_codes(features, issues)
    units = _units_for(actor, entries, issues)
    imported = _read_geometries(entries, crs, issues)

    with transaction.atomic():
        context = _Context.load(units, imported, exclude={issues[i].code for i in issues})
        for issue in context.nesting_issues(entries):
            issues.setdefault(issue.index, issue)
        if issues:
            raise _refusal(sorted(issues.values(), key=lambda i: i.index))
        warnings = context.overlap_warnings(entries)
        report = _write(actor, units, imported, crs, warnings, raw)
        transaction.on_commit(locator.invalidate)
    locator.invalidate()
    return report


def _file_error(reason: str, message: str) -> DomainError:
    return DomainError(
        message,
        code="invalid_geojson",
        details=[BoundaryIssue(None, "", reason, message).as_dict()],
    )


def _refusal(issues: list[BoundaryIssue]) -> DomainError:
    return DomainError(
        _("%(n)d features have problems; nothing was imported.") % {"n": len(issues)},
        code="invalid_geojson",
        details=[i.as_dict() for i in issues[:MAX_REPORTED_ISSUES]],
    )


def _reject_constant(name):
    raise ValueError(f"{name} is not a number in JSON")


def _load_features(raw: bytes) -> list:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise payload_too_large()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("not_utf8", _("The file is not UTF-8 text.")) from None
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise _file_error(
            "malformed_json",
            _("The file is not valid JSON: %(error)s") % {"error": str(exc)[:200]},
        ) from None
    if (
        not isinstance(doc, dict)
        or doc.get("type") != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise _file_error(
            "not_a_feature_collection", _("The file is not a GeoJSON FeatureCollection.")
        )
    features = doc["features"]
    if not features:
        raise _file_error("no_features", _("The FeatureCollection has no features."))
    if len(features) > MAX_FEATURES:
        raise _file_error(
            "too_many_features",
            _("The file has %(n)d features; at most %(max)d may be imported at once.")
            % {"n": len(features), "max": MAX_FEATURES},
        )
    return features


@dataclass
class _Entry:
    index: int
    code: str
    geometry: object


def _code_of(value) -> str:
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _read_codes(features: list, issues: dict[int, BoundaryIssue]) -> list[_Entry]:
    entries, first_seen = [], {}
    for i, feature in enumerate(features):
        code = ""
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise Problem("not_a_feature", _("The item is not a GeoJSON Feature."))
            props = feature.get("properties")
            code = _code_of(props.get("code") if isinstance(props, dict) else None)
            if not code:
                raise Problem(
                    "missing_code", _("properties.code (the org unit's code) is missing.")
                )
            if code in first_seen:
                raise Problem(
                    "duplicate_code",
                    _("The same code is already used by feature %(n)d.")
                    % {"n": first_seen[code] + 1},
                )
            first_seen[code] = i
        except Problem as p:
            issues[i] = BoundaryIssue(i, code, p.reason, p.message)
            continue
        entries.append(_Entry(i, code, feature.get("geometry")))
    return entries


def _units_for(actor, entries: list[_Entry], issues) -> dict[str, OrgUnit]:
    """The named units the actor may manage; one answer for missing and not yours."""
    found = {
        u.code: u
        for u in OrgUnit.objects.filter(code__in=[e.code for e in entries]).only(
            "id", "code", "name", "level", "parent_id", "boundary_bbox"
        )
    }
    units = {}
    for e in entries:
        unit = found.get(e.code)
        if unit is None or not permissions.can(actor, Perm.ORGS_MANAGE, unit):
            issues[e.index] = BoundaryIssue(
                e.index,
                e.code,
                "unknown_code",
                _("The unit %(code)s does not exist or is outside your area.") % {"code": e.code},
            )
        else:
            units[e.code] = unit
    return units


def _read_geometries(entries: list[_Entry], crs: str, issues) -> dict[str, object]:
    """code → valid WGS-84 polygon, for every entry without a problem so far."""
    imported, total = {}, 0
    for e in entries:
        if e.index in issues:
            continue
        try:
            geo.check_polygon_type(e.geometry)
            n = geo.count_vertices(e.geometry)
            if n > MAX_FEATURE_VERTICES:
                raise Problem(
                    "too_many_vertices",
                    _("The polygon has %(n)d vertices; at most %(max)d are accepted.")
                    % {"n": n, "max": MAX_FEATURE_VERTICES},
                )
            total += n
            if total > MAX_TOTAL_VERTICES:
                raise _file_error(
                    "too_many_vertices",
                    _("The file has more than %(max)d vertices; split it into smaller files.")
                    % {"max": MAX_TOTAL_VERTICES},
                )
            geom = geo.parse_polygon(e.geometry)
            geo.check_range(geom)
            geom = geo.geometry_to_wgs84(geom, crs)
            geo.check_valid(geom)
        except Problem as p:
            issues[e.index] = BoundaryIssue(e.index, e.code, p.reason, p.message)
            continue
        imported[e.code] = geom
    return imported


def _chunks(items: list, size: int = 300) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _minimal(codes: Iterable[str]) -> list[str]:
    kept: list[str] = []
    for code in sorted(set(codes), key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return kept


class _Context:
    """The boundaries the import must agree with, as they will be after it: the stored
    boundaries of the imported units' ancestors, siblings and descendants, with the
    imported ones in place of their stored versions."""

    def __init__(self, units, imported, geoms, names, parent_of):
        self.units = units
        self.imported = imported
        self.geoms = geoms
        self.names = names
        self.parent_of = parent_of

    @classmethod
    def load(cls, units: dict[str, OrgUnit], imported: dict, *, exclude: set[str]):
        prefixes = sorted({c[:n] for c in imported for n in CODE_LENGTH.values() if n < len(c)})
        parent_ids = sorted({units[c].parent_id for c in imported if units[c].parent_id})
        filters = [Q(code__in=chunk) for chunk in _chunks(prefixes)]
        filters += [Q(parent_id__in=chunk) for chunk in _chunks(parent_ids)]
        for chunk in _chunks(_minimal(imported), 100):
            q = Q(pk__in=[])
            for code in chunk:
                q |= Q(code__within=code)
            filters.append(q)
        geoms, names, parent_of = {}, {}, {}
        for q in filters:
            rows = OrgUnit.objects.filter(q, boundary__isnull=False, is_active=True).values_list(
                "code", "name", "parent_id", "boundary"
            )
            for code, name, parent_id, boundary in rows:
                if code in geoms or code in imported or code in exclude:
                    continue
                geoms[code] = geo.from_geojson(boundary)
                names[code], parent_of[code] = name, parent_id
        for code, geom in imported.items():
            geoms[code] = geom
            names[code], parent_of[code] = units[code].name, units[code].parent_id
        return cls(units, imported, geoms, names, parent_of)

    def _nearest_bounded_ancestor(self, code: str) -> str | None:
        for n in _LENGTHS_DESC:
            if n < len(code) and code[:n] in self.geoms:
                return code[:n]
        return None

    def nesting_issues(self, entries: list[_Entry]) -> list[BoundaryIssue]:
        """Imported units outside their ancestor; imported units no longer holding a child."""
        index_of = {e.code: e.index for e in entries}
        buffered: dict[str, object] = {}
        issues, orphans = [], defaultdict(list)
        for code in sorted(self.geoms):
            parent = self._nearest_bounded_ancestor(code)
            if parent is None or (code not in self.imported and parent not in self.imported):
                continue
            if parent not in buffered:
                buffered[parent] = self.geoms[parent].buffer(geo.NESTING_TOLERANCE)
                shapely.prepare(buffered[parent])
            child = self.geoms[code]
            if buffered[parent].covers(child):
                continue
            if code in self.imported:
                outside = child.difference(self.geoms[parent])
                area = geo.square_metres(outside.area, child.centroid.y)
                issues.append(
                    BoundaryIssue(
                        index_of[code],
                        code,
                        "outside_parent",
                        _(
                            "The polygon leaves the boundary of “%(parent)s” (%(code)s) "
                            "by about %(area)s m²."
                        )
                        % {
                            "parent": self.names[parent],
                            "code": parent,
                            "area": f"{area:,.0f}",
                        },
                    )
                )
            else:
                orphans[parent].append(code)
        for parent, children in orphans.items():
            named = "、".join(f"“{self.names[c]}”（{c}）" for c in children[:_NAMED_CHILDREN])
            issues.append(
                BoundaryIssue(
                    index_of[parent],
                    parent,
                    "excludes_child",
                    _(
                        "The polygon no longer contains the boundaries of %(n)d units "
                        "under it, such as %(names)s."
                    )
                    % {"n": len(children), "names": named},
                )
            )
        return issues

    def overlap_warnings(self, entries: list[_Entry]) -> list[BoundaryIssue]:
        """Imported units whose area overlaps a sibling's by more than rounding noise."""
        index_of = {e.code: e.index for e in entries}
        groups = defaultdict(list)
        for code, parent_id in self.parent_of.items():
            groups[parent_id].append(code)
        warnings = []
        for codes in groups.values():
            if len(codes) < 2 or not any(c in self.imported for c in codes):
                continue
            codes.sort()
            geoms = [self.geoms[c] for c in codes]
            left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
            for i, j in zip(left.tolist(), right.tolist(), strict=True):
                if i >= j:
                    continue
                a, b = codes[i], codes[j]
                if a not in self.imported and b not in self.imported:
                    continue
                overlap = shapely.intersection(geoms[i], geoms[j]).area
                if overlap <= geo.OVERLAP_MIN_AREA:
                    continue
                # Reported on the imported feature that comes first in the file.
                here, there = (
                    (a, b) if index_of.get(a, 1 << 60) <= index_of.get(b, 1 << 60) else (b, a)
                )
                area = geo.square_metres(overlap, geoms[i].centroid.y)
                warnings.append(
                    BoundaryIssue(
                        index_of[here],
                        here,
                        "overlaps_sibling",
                        _("The polygon overlaps “%(other)s” (%(code)s) by about %(area)s m².")
                        % {"other": self.names[there], "code": there, "area": f"{area:,.0f}"},
                    )
                )
        return sorted(warnings, key=lambda w: (w.index, w.code))


def _write(actor, units, imported, crs, warnings, raw: bytes) -> ImportReport:
    now = timezone.now()
    report = ImportReport(crs=str(crs), warnings=warnings)
    changed = []
    by_level: dict[str, int] = defaultdict(int)
    for code in sorted(imported):
        unit, geom = units[code], imported[code]
        if unit.boundary_bbox is None:
            report.added += 1
        else:
            report.replaced += 1
        unit.boundary = geo.to_geojson(geom)
        unit.boundary_bbox = geo.bbox(geom)
        unit.boundary_updated_at = unit.updated_at = now
        by_level[unit.level] += 1
        changed.append(unit)
    OrgUnit.objects.bulk_update(
        changed,
        ["boundary", "boundary_bbox", "boundary_updated_at", "updated_at"],
        batch_size=200,
    )
    report.imported = len(changed)
    report.by_level = dict(by_level)
    report.codes = [u.code for u in changed]
    audit_record(
        actor=actor,
        action="orgs.boundaries_imported",
        object_type=OrgUnit._meta.label_lower,
        object_repr=_("boundaries of %(n)d units") % {"n": report.imported},
        changes={
            "crs": report.crs,
            "imported": report.imported,
            "added": report.added,
            "replaced": report.replaced,
            "by_level": report.by_level,
            "warnings": len(warnings),
            "codes": report.codes,
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
    )
    return report
