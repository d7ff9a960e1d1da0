"""居民: upserted by the keyed hash of the 身份证号, which an imported resident must have.

A number already registered inside the actor's area updates that person (and may move
them to another grid of the area); one registered outside it is an error, so an
import can neither overwrite nor reveal someone it may not see.
"""

from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.imports.formats import RELATIONSHIPS, RESIDENCE_TYPES, RESIDENTS, TAG_SEPARATORS
from gongzhi.imports.reader import echo
from gongzhi.imports.sheets.base import Result, Sheet, clean_text
from gongzhi.imports.sheets.households import HouseholdIndex
from gongzhi.registry.models import ResidenceType, Resident, Tag
from gongzhi.registry.services import ResidentInput, resident_clean

_PHONE_FIELDS = ("phone_enc", "phone_hash", "phone_masked", "phone_last4")
_ALWAYS = (
    "name",
    "gender",
    "birth_date",
    "id_number_enc",
    "id_number_masked",
    "grid",
    "org_code",
    "updated_at",
)
_SPLIT = str.maketrans(dict.fromkeys(TAG_SEPARATORS, "、"))


class ResidentsSheet(Sheet):
    fmt = RESIDENTS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._tags = dict(Tag.objects.filter(is_active=True).values_list("name", "pk"))
        self._household_columns = "building" in self.present
        self.households = HouseholdIndex()

    def _tag_ids(self, value: str, result: Result) -> list[int]:
        ids = []
        for name in value.translate(_SPLIT).split("、"):
            name = name.strip()
            if not name:
                continue
            pk = self._tags.get(name)
            if pk is None:
                self.error(result, "tags", _("Unknown tag: %(name)s.") % {"name": echo(name)})
            elif pk not in ids:
                ids.append(pk)
        return ids

    def clean_batch(self, rows):
        self.load_grids(rows)
        results = []
        for row in rows:
            v = row.values
            result = Result(row.number)
            grid = self.grid(row, result)
            unusable = self.inexact(row, result)
            id_number = "" if "id_number" in unusable else v.get("id_number", "")
            if not id_number and "id_number" not in unusable:
                self.error(result, "id_number", _("The ID number is required."))
            relationship = v.get("relationship", "")
            residence_type = v.get("residence_type", "")
            fields, errors = resident_clean(
                ResidentInput(
                    name=v.get("name", ""),
                    grid_id=grid.pk if grid else None,
                    id_number=id_number,
                    phone="" if "phone" in unusable else v.get("phone", ""),
                    relationship=RELATIONSHIPS.get(relationship, relationship),
                    residence_type=RESIDENCE_TYPES.get(residence_type, residence_type)
                    if residence_type
                    else ResidenceType.REGISTERED,
                    note=v.get("note", ""),
                )
            )
            household = None
            if self._household_columns:
                building = clean_text(v.get("building"), 100, "building", errors)
                unit_name = clean_text(v.get("unit_name"), 20, "unit_name", errors)
                room = clean_text(v.get("room"), 20, "room", errors, required=bool(building))
                if room and not building:
                    errors.setdefault("building", []).append(_("Enter the building of this room."))
                if building and room:
                    household = (building, unit_name, room)
            self.add_errors(result, errors)
            tag_ids = self._tag_ids(v.get("tags", ""), result) if "tags" in self.present else None
            if fields.get("id_number_hash"):
                self.once(result, "id_number", fields["id_number_hash"])
            result.data = {
                "fields": fields,
                "grid": grid,
                "household": household,
                "tag_ids": tag_ids,
            }
            results.append(result)
        self._resolve(results)
        return results

    def _resolve(self, results: list[Result]) -> None:
        """Buildings of the households, and the residents already registered."""
        pairs = {
            (r.data["grid"].pk, r.data["household"][0])
            for r in results
            if r.data["household"] and r.data["grid"]
        }
        grids = {r.data["grid"].pk: r.data["grid"] for r in results if r.data["grid"]}
        buildings = self.buildings_within(grids, pairs)
        for r in results:
            d = r.data
            if d["household"] and d["grid"]:
                name, unit_name, room = d["household"]
                building = self.building(r, d["grid"], name, buildings)
                d["household"] = (
                    ((building.pk, unit_name, room), building.org_code) if building else None
                )
        hashes = {r.data["fields"]["id_number_hash"] for r in results if r.ok}
        registered = {
            h: (pk, code)
            for h, pk, code in Resident.objects.filter(id_number_hash__in=hashes).values_list(
                "id_number_hash", "pk", "org_code"
            )
        }
        for r in results:
            if not r.ok:
                continue
            pk, code = registered.get(r.data["fields"]["id_number_hash"], (None, ""))
            if pk is not None and not self.scope.covers_code(code):
                self.error(r, "id_number", _("This ID number is already registered elsewhere."))
            r.data["pk"] = pk

    def _update_fields(self, d: dict) -> tuple[str, ...]:
        fields = list(_ALWAYS)
        for key in ("residence_type", "relationship", "note"):
            if key in self.present:
                fields.append(key)
        if self._household_columns:
            fields.append("household")
        if d["fields"]["phone_hash"]:  # an empty cell keeps the stored phone
            fields.extend(_PHONE_FIELDS)
        return tuple(fields)

    def write_batch(self, results):
        now = timezone.now()
        wanted = {
            r.data["household"][0]: r.data["household"][1] for r in results if r.data["household"]
        }
        household_ids, _created = self.households.ensure(wanted)
        new, changed = [], defaultdict(list)
        tagged: list[tuple[Resident, list[int]]] = []
        for r in results:
            d = r.data
            grid = d["grid"]
            obj = Resident(
                pk=d["pk"],
                grid=grid,
                org_code=grid.code,
                household_id=household_ids[d["household"][0]] if d["household"] else None,
                updated_at=now,
                **d["fields"],
            )
            if d["pk"]:
                changed[self._update_fields(d)].append(obj)
            else:
                new.append(obj)
            if d["tag_ids"] is not None:
                tagged.append((obj, d["tag_ids"]))
        Resident.objects.bulk_create(new)
        for fields, objs in changed.items():
            Resident.objects.bulk_update(objs, fields)
        updated = {obj.pk for objs in changed.values() for obj in objs}
        if tagged:
            # The cell replaces the tags: the old ones of updated residents go first.
            through = Resident.tags.through
            through.objects.filter(
                resident_id__in=[obj.pk for obj, _ids in tagged if obj.pk in updated]
            ).delete()
            through.objects.bulk_create(
                [through(resident_id=obj.pk, tag_id=t) for obj, ids in tagged for t in ids]
            )
        return len(new), len(updated)
