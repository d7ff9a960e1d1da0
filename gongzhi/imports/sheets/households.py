"""户: created by (building, unit, room); a row for a registered one changes nothing."""

from gongzhi.imports.formats import HOUSEHOLDS
from gongzhi.imports.sheets.base import Result, Sheet, clean_text
from gongzhi.registry.models import Household


class HouseholdIndex:
    """The households of the buildings a file names, loaded once a building, so that a
    batch's lookups cost one query for the buildings not seen yet."""

    def __init__(self):
        self._rooms: dict[int, dict[tuple[str, str], int]] = {}

    def _load(self, building_ids: set[int]) -> None:
        new = building_ids - self._rooms.keys()
        if not new:
            return
        for building_id in new:
            self._rooms[building_id] = {}
        qs = Household.objects.filter(building_id__in=new).values_list(
            "pk", "building_id", "unit_name", "room"
        )
        for pk, building_id, unit_name, room in qs:
            self._rooms[building_id][(unit_name, room)] = pk

    def ids(self, keys) -> dict[tuple[int, str, str], int]:
        """{(building id, unit, room): household id} for the keys that are registered."""
        keys = set(keys)
        self._load({k[0] for k in keys})
        found = {}
        for key in keys:
            pk = self._rooms[key[0]].get(key[1:])
            if pk is not None:
                found[key] = pk
        return found

    def ensure(self, wanted: dict[tuple[int, str, str], str]) -> tuple[dict, int]:
        """Ids of the households {key: org code}, creating the missing ones; and how
        many were created. The caller holds the transaction: if another writer created
        one of them meanwhile, the unique constraint fails the batch, and the job's retry
        finds it."""
        found = self.ids(wanted)
        missing = [
            Household(building_id=b, unit_name=u, room=r, org_code=code)
            for (b, u, r), code in wanted.items()
            if (b, u, r) not in found
        ]
        Household.objects.bulk_create(missing)  # sets the ids (RETURNING)
        for h in missing:
            self._rooms[h.building_id][(h.unit_name, h.room)] = h.pk
            found[(h.building_id, h.unit_name, h.room)] = h.pk
        return found, len(missing)


class HouseholdsSheet(Sheet):
    fmt = HOUSEHOLDS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.households = HouseholdIndex()

    def clean_batch(self, rows):
        self.load_grids(rows)
        results = []
        for row in rows:
            v = row.values
            result = Result(row.number)
            grid = self.grid(row, result)
            errors: dict[str, list[str]] = {}
            name = clean_text(v.get("building"), 100, "building", errors, required=True)
            unit_name = clean_text(v.get("unit_name"), 20, "unit_name", errors)
            room = clean_text(v.get("room"), 20, "room", errors, required=True)
            if "room" in self.inexact(row, result):
                errors.pop("room", None)
            self.add_errors(result, errors)
            result.data = {"grid": grid, "name": name, "unit_name": unit_name, "room": room}
            results.append(result)
        pairs = {
            (r.data["grid"].pk, r.data["name"])
            for r in results
            if r.data["grid"] and r.data["name"]
        }
        grids = {r.data["grid"].pk: r.data["grid"] for r in results if r.data["grid"]}
        found = self.buildings_within(grids, pairs)
        for r in results:
            d = r.data
            if d["grid"] is None or not d["name"]:
                continue
            building = self.building(r, d["grid"], d["name"], found)
            if building is not None and d["room"]:
                d["key"] = (building.pk, d["unit_name"], d["room"])
                d["org_code"] = building.org_code
                self.once(r, "room", d["key"])
        valid = [r for r in results if r.ok]
        existing = self.households.ids(r.data["key"] for r in valid)
        for r in valid:
            r.data["pk"] = existing.get(r.data["key"])
        return results

    def write_batch(self, results):
        new = {r.data["key"]: r.data["org_code"] for r in results if not r.data["pk"]}
        _found, created = self.households.ensure(new)
        return created, len(results) - created
