"""场所: upserted by the 统一社会信用代码 when the row has one, else by (grid, name, address).

Both keys are unique in the database, so a row must not match one premises by its code
and another by its place; and a code registered outside the actor's area is an error.
"""

from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.imports.formats import PREMISES
from gongzhi.imports.reader import echo
from gongzhi.imports.sheets.base import Result, Sheet, clean_text
from gongzhi.registry import pii
from gongzhi.registry.models import Premises, PremisesCategory
from gongzhi.registry.validation import FieldError, clean_phone, clean_uscc

_PHONE_FIELDS = ("phone_enc", "phone_hash", "phone_masked")


class PremisesSheet(Sheet):
    fmt = PREMISES

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._categories = dict(
            PremisesCategory.objects.filter(is_active=True).values_list("name", "pk")
        )

    def clean_batch(self, rows):
        located = self.locations(rows)
        self.load_grids(rows)
        results = []
        for row, (lng, lat, errors) in zip(rows, located, strict=True):
            v = row.values
            result = Result(row.number)
            grid = self.grid(row, result)
            unusable = self.inexact(row, result)
            name = clean_text(v.get("name"), 100, "name", errors, required=True)
            address = clean_text(v.get("address"), 200, "address", errors)
            responsible = clean_text(v.get("responsible_name"), 50, "responsible_name", errors)
            category = v.get("category", "")
            category_id = self._categories.get(category)
            if not category:
                errors.setdefault("category", []).append(_("Choose a category."))
            elif category_id is None:
                errors.setdefault("category", []).append(
                    _("Unknown premises category: %(name)s.") % {"name": echo(category)}
                )
            sealed: dict[str, str] = {}
            try:
                sealed = pii.seal_phone(clean_phone(v.get("phone", "")))
            except FieldError as exc:
                errors.setdefault("phone", []).append(str(exc))
            uscc = ""
            if "uscc" not in unusable:
                try:
                    uscc = clean_uscc(v.get("uscc", ""))
                except FieldError as exc:
                    errors.setdefault("uscc", []).append(str(exc))
            self.add_errors(result, errors)
            if grid is not None and name:
                self.once(result, "name", (grid.pk, name, address))
            if uscc:
                self.once(result, "uscc", uscc)
            result.data = {
                "grid": grid,
                "name": name,
                "category_id": category_id,
                "address": address,
                "responsible_name": responsible,
                "uscc": uscc or None,
                "lng": lng,
                "lat": lat,
                "sealed": sealed,
            }
            results.append(result)
        self._resolve([r for r in results if r.ok])
        return results

    def _resolve(self, results: list[Result]) -> None:
        codes = {r.data["uscc"] for r in results if r.data["uscc"]}
        by_code = {
            code: (pk, org_code)
            for pk, code, org_code in Premises.objects.filter(uscc__in=codes).values_list(
                "pk", "uscc", "org_code"
            )
        }
        places = {(r.data["grid"].pk, r.data["name"], r.data["address"]) for r in results}
        by_place = {
            (g, n, a): (pk, code)
            for pk, g, n, a, code in Premises.objects.filter(
                grid_id__in={p[0] for p in places}, name__in={p[1] for p in places}
            ).values_list("pk", "grid_id", "name", "address", "uscc")
            if (g, n, a) in places
        }
        for r in results:
            d = r.data
            place_pk, place_code = by_place.get(
                (d["grid"].pk, d["name"], d["address"]), (None, None)
            )
            pk = place_pk
            if d["uscc"] and d["uscc"] in by_code:
                pk, org_code = by_code[d["uscc"]]
                if not self.scope.covers_code(org_code):
                    self.error(r, "uscc", _("This credit code is already registered elsewhere."))
                elif place_pk not in (None, pk):
                    self.error(r, "name", _("This premises is already registered in the grid."))
            elif d["uscc"] and place_code and place_code != d["uscc"]:
                # The place is taken by a premises with another code.
                self.error(r, "name", _("This premises is already registered in the grid."))
            elif not d["uscc"] and place_code:
                d["uscc"] = place_code  # a row without a code keeps the stored one
            d["pk"] = pk

    def _update_fields(self, d: dict) -> tuple[str, ...]:
        fields = ["grid", "org_code", "name", "category", "address", "uscc", "updated_at"]
        if "responsible_name" in self.present:
            fields.append("responsible_name")
        if {"lng", "lat"} & self.present:
            fields += ["lng", "lat"]
        if d["sealed"].get("phone_hash"):  # an empty cell keeps the stored phone
            fields.extend(_PHONE_FIELDS)
        return tuple(fields)

    def write_batch(self, results):
        now = timezone.now()
        new, changed = [], defaultdict(list)
        for r in results:
            d = r.data
            obj = Premises(
                pk=d["pk"],
                grid=d["grid"],
                org_code=d["grid"].code,
                name=d["name"],
                category_id=d["category_id"],
                address=d["address"],
                responsible_name=d["responsible_name"],
                uscc=d["uscc"],
                lng=d["lng"],
                lat=d["lat"],
                updated_at=now,
                **d["sealed"],
            )
            if d["pk"]:
                changed[self._update_fields(d)].append(obj)
            else:
                new.append(obj)
        Premises.objects.bulk_create(new)
        for fields, objs in changed.items():
            Premises.objects.bulk_update(objs, fields)
        return len(new), sum(len(objs) for objs in changed.values())
