"""Page forms: parse and type the input; the services validate and decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.registry.models import BuildingRole, Relationship, ResidenceType


def grid_label(grid) -> str:
    """第3网格 alone says little; with its community (or grid, for a micro-grid) it is clear."""
    return f"{grid.parent.name} · {grid.name}" if grid.parent_id else grid.name


class ResidentSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, address, last 4 phone digits or ID number"),
                "type": "search",
            }
        ),
    )
    residence_type = forms.ChoiceField(
        label=_("Residence type"),
        required=False,
        choices=[("", _("All")), *ResidenceType.choices],
    )
    tag = forms.TypedChoiceField(label=_("Tag"), required=False, coerce=int, empty_value=None)
    within = forms.CharField(required=False, max_length=24, widget=forms.HiddenInput)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", _("All"))] + [(t.id, t.name) for t in tags]


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    grid_id = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    building_id = forms.TypedChoiceField(
        label=_("Building"), coerce=int, required=False, empty_value=None
    )
    unit_name = forms.CharField(label=_("Unit"), required=False, max_length=20)
    room = forms.CharField(label=_("Room"), required=False, max_length=20)
    relationship = forms.ChoiceField(
        label=_("Relationship to the head"),
        required=False,
        choices=[("", "—"), *Relationship.choices],
    )
    residence_type = forms.ChoiceField(
        label=_("Residence type"), choices=ResidenceType.choices, initial=ResidenceType.REGISTERED
    )
    tag_ids = forms.TypedMultipleChoiceField(
        label=_("Tags"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, grids=(), buildings=(), tags=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid_id"].choices = [("", "—")] + [(g.id, grid_label(g)) for g in grids]
        self.fields["building_id"].choices = [("", "—")] + [(b.id, b.name) for b in buildings]
        self.fields["tag_ids"].choices = [(t.id, t.name) for t in tags]
        if editing:
            keep = _("Leave blank to keep the stored value")
            self.fields["id_number"].widget.attrs["placeholder"] = keep
            self.fields["phone"].widget.attrs["placeholder"] = keep


class BuildingForm(forms.Form):
    grid_id = forms.TypedChoiceField(
        label=_("Grid"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Leave empty to take the grid from the location."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    floors = forms.IntegerField(label=_("Floors"), required=False, min_value=1, max_value=200)
    lng = forms.FloatField(label=_("Longitude"), required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False)
    crs = forms.ChoiceField(
        label=_("Coordinate system"),
        choices=[
            ("wgs84", "WGS-84"),
            ("gcj02", _("GCJ-02 (Amap, Tencent)")),
            ("bd09", _("BD-09 (Baidu)")),
        ],
        initial="wgs84",
    )

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid_id"].choices = [("", "—")] + [(g.id, grid_label(g)) for g in grids]


class PremisesForm(BuildingForm):
    category_id = forms.TypedChoiceField(label=_("Category"), coerce=int)
    responsible_name = forms.CharField(label=_("Responsible person"), required=False, max_length=50)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    uscc = forms.CharField(label=_("Unified social credit code"), required=False, max_length=32)
    field_order = ["grid_id", "name", "category_id", "address", "responsible_name", "phone", "uscc"]

    def __init__(self, *args, categories=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["floors"]
        self.fields["category_id"].choices = [(c.id, c.name) for c in categories]
        if editing:
            self.fields["phone"].widget.attrs["placeholder"] = _(
                "Leave blank to keep the stored value"
            )


class BuildingRoleForm(forms.Form):
    resident_id = forms.TypedChoiceField(label=_("Resident"), coerce=int)
    role = forms.ChoiceField(label=_("Position"), choices=BuildingRole.Role.choices)

    def __init__(self, *args, residents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident_id"].choices = [(r.id, r.name) for r in residents]
