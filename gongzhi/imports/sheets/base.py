"""What every kind of sheet shares: grid resolution in the actor's area, in-file duplicates,
building lookups, errors named by column.

The rules are the registry's: text lengths and locations through
`registry.services.clean_text` / `clean_location`, 身份证号 and phones through `resident_clean`,
`clean_phone` and `clean_uscc`, personal data sealed through `registry.pii`. What
differs is the unit of work: a batch of rows, looked up with a few queries and
written with bulk_create / bulk_update, instead of one service call per row.
"""

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from gongzhi.core.permissions import Scope
from gongzhi.core.roles import Level
from gongzhi.imports.formats import CRS_NAMES, Format
from gongzhi.imports.reader import Row
from gongzhi.orgs import locator
from gongzhi.orgs.models import OrgUnit
from gongzhi.registry.models import Building
from gongzhi.registry.services import clean_location, clean_text

AMBIGUOUS = object()  # several buildings answer a name (buildings_within)

__all__ = ["Result", "Sheet", "clean_location", "clean_text"]


@dataclass(slots=True)
class Result:
    """One row, checked: its errors as (column header, message), and the cleaned values."""

    number: int
    errors: list[tuple[str, str]] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


class Sheet:
    fmt: Format
    # Keys of registry error dicts that are not column keys.
    error_columns: dict[str, str] = {"location": "lng"}

    def __init__(self, *, actor, scope: Scope, present: set[str]):
        """`scope` is where the actor holds REGISTRY_EDIT; `present` the file's columns."""
        self.actor = actor
        self.scope = scope
        self.present = present
        self._grids: dict[str, OrgUnit | None] = {}
        self._seen: dict[object, int] = {}
        self._unlocated: set[int] = set()
        self._column_order = {c.header: i for i, c in enumerate(self.fmt.columns)}

    def check(self, rows: list[Row]) -> list[Result]:
        """clean_batch, with each row's errors in the order of the columns."""
        results = self.clean_batch(rows)
        order = self._column_order
        for r in results:
            if len(r.errors) > 1:
                r.errors.sort(key=lambda e: order.get(e[0], len(order)))
        return results

    # To implement -------------------------------------------------------------------

    def clean_batch(self, rows: list[Row]) -> list[Result]:
        """Check the rows (reading the database, writing nothing)."""
        raise NotImplementedError

    def write_batch(self, results: list[Result]) -> tuple[int, int]:
        """Write the valid rows cleaned by the last clean_batch; (created, updated).
        The caller holds the batch's transaction."""
        raise NotImplementedError

    # Helpers ------------------------------------------------------------------------

    def header(self, key: str) -> str:
        return self.fmt.column(self.error_columns.get(key, key)).header

    def error(self, result: Result, key: str, message) -> None:
        result.errors.append((self.header(key), str(message)))

    def add_errors(self, result: Result, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            for message in messages:
                self.error(result, key, message)

    def inexact(self, row: Row, result: Result) -> set[str]:
        """Text columns that held a rounded number: an error each; their value is unusable."""
        for key in row.inexact:
            self.error(result, key, _("Type this cell as text: Excel has rounded the long number."))
        return set(row.inexact)

    def load_grids(self, rows: list[Row]) -> None:
        codes = {r.values.get("grid", "") for r in rows} - self._grids.keys() - {""}
        if not codes:
            return
        found = {
            g.code: g
            for g in OrgUnit.objects.filter(
                code__in=codes, level__in=(Level.GRID, Level.MICROGRID)
            ).only("id", "code", "name", "level")
        }
        for code in codes:
            grid = found.get(code)
            # Outside the area is the same answer as missing (registry.editable_grid).
            self._grids[code] = grid if grid is not None and self.scope.covers(grid) else None

    def grid(self, row: Row, result: Result) -> OrgUnit | None:
        code = row.values.get("grid", "")
        if not code:
            if row.number in self._unlocated:
                self.error(result, "grid", _("The location is in no grid; choose the grid."))
            else:
                self.error(result, "grid", _("This field is required."))
            return None
        grid = self._grids.get(code)
        if grid is None:
            self.error(result, "grid", _("The grid does not exist or is outside your area."))
        return grid

    def once(self, result: Result, column: str, key) -> None:
        """An error when `key` was already seen in an earlier row of the file."""
        first = self._seen.setdefault(key, result.number)
        if first != result.number:
            self.error(result, column, _("Duplicates row %(row)d of the file.") % {"row": first})

    @staticmethod
    def crs(value: str) -> str:
        value = (value or "").strip()
        return CRS_NAMES.get(value.lower(), value) if value else "wgs84"

    def location(self, values: dict[str, str], errors) -> tuple[float | None, float | None]:
        return clean_location(
            values.get("lng", ""), values.get("lat", ""), self.crs(values.get("crs", "")), errors
        )

    def locations(self, rows: list[Row]) -> list[tuple[float | None, float | None, dict]]:
        """Each row's WGS-84 point and its errors. A row without 网格编码 but with a point
        is given the code of the grid the point lies in, as the registry's forms do."""
        located = []
        for row in rows:
            errors: dict[str, list[str]] = {}
            lng, lat = self.location(row.values, errors)
            located.append((lng, lat, errors))
        missing = [
            (row, (lng, lat))
            for row, (lng, lat, _e) in zip(rows, located, strict=True)
            if not row.values.get("grid") and lng is not None
        ]
        if missing:
            codes = locator.locate_many([point for _row, point in missing])
            for (row, _point), code in zip(missing, codes, strict=True):
                if code:
                    row.values["grid"] = code
                else:
                    self._unlocated.add(row.number)
        return located

    @staticmethod
    def buildings_by_name(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], Building]:
        """{(grid id, name): building} for the pairs that are registered."""
        if not pairs:
            return {}
        grid_ids = {g for g, _n in pairs}
        names = {n for _g, n in pairs}
        qs = Building.objects.filter(grid_id__in=grid_ids, name__in=names).only(
            "id", "grid_id", "name", "org_code"
        )
        return {(b.grid_id, b.name): b for b in qs if (b.grid_id, b.name) in pairs}

    @staticmethod
    def buildings_within(grids: dict[int, OrgUnit], pairs: set[tuple[int, str]]) -> dict:
        """{(grid id, name): building, or AMBIGUOUS} for a household's building named in a
        grid: registered in that grid or in one of its micro-grids (a grid's buildings are
        most often placed in its micro-grids). Two of the same name under one grid are
        ambiguous: the row must name the micro-grid."""
        if not pairs:
            return {}
        wanted = {grids[g].code: g for g, _n in pairs}
        where = Q(pk__in=[])
        for code in wanted:
            where |= Q(org_code__within=code)
        qs = Building.objects.filter(where, name__in={n for _g, n in pairs}).only(
            "id", "grid_id", "name", "org_code"
        )
        found: dict[tuple[int, str], Building | object] = {}
        for b in qs:
            for code, grid_id in wanted.items():
                key = (grid_id, b.name)
                if key in pairs and b.org_code.startswith(code):
                    found[key] = AMBIGUOUS if key in found else b
        return found

    def building(self, result: Result, grid, name: str, found: dict) -> Building | None:
        building = found.get((grid.pk, name))
        if building is AMBIGUOUS:
            self.error(
                result,
                "grid",
                _(
                    "Buildings of this name are registered in several micro-grids of the "
                    "grid: give the micro-grid's code."
                ),
            )
            return None
        if building is None:
            self.error(
                result,
                "building",
                _(
                    "No building of this name is registered in the grid or its micro-grids: "
                    "import the buildings first."
                ),
            )
        return building
