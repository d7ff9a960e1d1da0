"""楼栋: upserted by (grid, name)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.imports.formats import BUILDINGS
from gongzhi.imports.sheets.base import Result, Sheet, clean_text
from gongzhi.registry.models import Building


def clean_floors(value: str, errors: dict) -> int | None:
    """As building_save: empty, or a whole number from 1 to 200."""
    if not value:
        return None
    try:
        floors = int(value)
        if not 1 <= floors <= 200:
            raise ValueError
    except (TypeError, ValueError):
        errors.setdefault("floors", []).append(_("Floors must be a number from 1 to 200."))
        return None
    return floors


class BuildingsSheet(Sheet):
    fmt = BUILDINGS

    def clean_batch(self, rows):
        located = self.locations(rows)
        self.load_grids(rows)
        results = []
        for row, (lng, lat, errors) in zip(rows, located, strict=True):
            v = row.values
            result = Result(row.number)
            grid = self.grid(row, result)
            name = clean_text(v.get("name"), 100, "name", errors, required=True)
            address = clean_text(v.get("address"), 200, "address", errors)
            floors = clean_floors(v.get("floors", ""), errors)
            self.add_errors(result, errors)
            if grid is not None and name:
                self.once(result, "name", (grid.pk, name))
            result.data = {
                "grid": grid,
                "name": name,
                "address": address,
                "floors": floors,
                "lng": lng,
                "lat": lat,
            }
            results.append(result)
        valid = [r for r in results if r.ok]
        found = self.buildings_by_name({(r.data["grid"].pk, r.data["name"]) for r in valid})
        for r in valid:
            existing = found.get((r.data["grid"].pk, r.data["name"]))
            r.data["pk"] = existing.pk if existing else None
        return results

    def update_fields(self) -> list[str]:
        fields = [f for f in ("address", "floors") if f in self.present]
        if {"lng", "lat"} & self.present:
            fields += ["lng", "lat"]
        return [*fields, "updated_at"]

    def write_batch(self, results):
        now = timezone.now()
        new, changed = [], []
        for r in results:
            d = r.data
            obj = Building(
                pk=d["pk"],
                grid=d["grid"],
                org_code=d["grid"].code,
                name=d["name"],
                address=d["address"],
                floors=d["floors"],
                lng=d["lng"],
                lat=d["lat"],
                updated_at=now,
            )
            (changed if d["pk"] else new).append(obj)
        Building.objects.bulk_create(new)
        if changed:
            Building.objects.bulk_update(changed, self.update_fields())
        return len(new), len(changed)
