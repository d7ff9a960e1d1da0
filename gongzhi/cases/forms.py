"""Page forms of the case loop: parse and type the input; the services validate and decide.

Every action form carries the case `version` the page was rendered with, so an action
taken on a page someone else has since changed is refused ("already changed") instead of
silently overriding their step.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import Category, Channel, Rating, Supervision, Urgency
from gongzhi.core.http.forms import IdField, VersionField
from gongzhi.registry.forms import grid_label

TEXTAREA = {"rows": 3}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; the service checks their type, size and count."""

    def __init__(self, *, capture: bool = False, **kwargs):
        attrs = {"accept": "image/*", "multiple": True, "class": "file-input"}
        if capture:
            attrs["capture"] = "environment"
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(f, initial) for f in files if f]


def category_choices(with_empty: bool = True) -> list:
    """Active categories grouped under their groups (rendered as <optgroup>s)."""
    groups: dict[int, tuple[str, list]] = {}
    for c in (
        Category.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("parent__sort", "parent__code", "sort", "code")
    ):
        if c.parent_id is None or not c.parent.is_active:
            continue
        groups.setdefault(c.parent_id, (c.parent.name, []))[1].append((c.pk, c.name))
    choices = [(name, options) for name, options in groups.values()]
    return ([("", _("Choose a category"))] if with_empty else []) + choices


# -- reporting a problem ------------------------------------------------------------


class CaseReportForm(forms.Form):
    category_id = forms.TypedChoiceField(label=_("Category"), coerce=int)
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=100,
        help_text=_("Optional: made from the category and the description when left empty."),
    )
    description = forms.CharField(
        label=_("What is the problem?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("Where exactly, what you saw, since when")}
        ),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect(attrs={"class": "seg-input"}),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, required=False)
    photos = PhotosField(capture=True)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    crs = forms.CharField(required=False, initial="wgs84", widget=forms.HiddenInput)
    grid_id = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    building_id = IdField(label=_("Building"), required=False, widget=forms.Select)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    reporter_name = forms.CharField(label=_("Reporter's name"), required=False, max_length=50)
    reporter_phone = forms.CharField(
        label=_("Reporter's phone"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    self_handle = forms.BooleanField(label=_("Handled on the spot"), required=False)
    result = forms.CharField(
        label=_("How it was handled"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        grids=(),
        buildings=(),
        can_self_handle=False,
        choose_channel=False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = category_choices()
        self.fields["grid_id"].choices = [("", _("From my location"))] + [
            (g.id, grid_label(g)) for g in grids
        ]
        self.fields["building_id"].widget.choices = building_choices(buildings)
        if not can_self_handle:
            del self.fields["self_handle"]
            del self.fields["result"]
        if not choose_channel:
            del self.fields["channel"]
        else:
            self.fields["channel"].initial = Channel.PHONE
        # Service errors about the place ("location") are shown beside the location.
        self.location_errors: list[str] = []


def building_choices(buildings) -> list:
    return [("", "—")] + [(b.id, b.name) for b in buildings]


# -- actions on a case ----------------------------------------------------------------


class ActionForm(forms.Form):
    version = VersionField(widget=forms.HiddenInput)

    def __init__(self, *args, case=None, **kwargs):
        action = kwargs.pop("action", "")
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.case = case


def _note(required=False, label=None):
    return forms.CharField(
        label=label or _("Note"),
        required=required,
        max_length=1000,
        widget=forms.Textarea(attrs=TEXTAREA),
    )


def _reason():
    return _note(required=True, label=_("Reason"))


class NoteForm(ActionForm):
    note = _note()


class RequiredNoteForm(ActionForm):
    note = _note(required=True)


class ReasonForm(ActionForm):
    reason = _reason()


class RegisterForm(ActionForm):
    category_id = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, required=False)
    grid_id = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False, empty_value=None)
    note = _note()

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = category_choices()
        self.fields["grid_id"].choices = [(g.pk, g.name) for g in grids]
        if self.case is not None and not self.is_bound:
            self.initial.setdefault("category_id", self.case.category_id)
            self.initial.setdefault("urgency", self.case.urgency)
            self.initial.setdefault("grid_id", self.case.grid_id)


class DispatchForm(ActionForm):
    target = forms.ChoiceField(label=_("Handling unit"))
    person = forms.CharField(
        label=_("Or a person: their username"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    note = _note()

    def __init__(self, *args, departments=(), units=(), people=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not people:
            del self.fields["person"]
        else:
            self.fields["target"].required = False
        choices: list = [("", _("Choose the handling unit"))]
        if departments:
            choices.append((_("Departments"), [(f"d:{d.pk}", d.name) for d in departments]))
        if units:
            choices.append(
                (
                    _("Community or grid (handled locally)"),
                    [(f"u:{u.pk}", u.name) for u in units],
                )
            )
        self.fields["target"].choices = choices

    def clean(self):
        data = super().clean()
        if "person" in self.fields and not data.get("target") and not data.get("person"):
            self.add_error("target", _("Choose a handling unit."))
        return data

    def target_ids(self) -> dict:
        person = (self.cleaned_data.get("person") or "").strip()
        if person and not self.cleaned_data.get("target"):
            from gongzhi.accounts.models import User

            found = User.objects.filter(username=person, is_active=True).first()
            return {"user_id": found.pk if found else 0}
        kind, _sep, pk = self.cleaned_data["target"].partition(":")
        return {"department_id": pk} if kind == "d" else {"unit_id": pk}


class HandleForm(ActionForm):
    result = forms.CharField(
        label=_("Handling result"), max_length=2000, widget=forms.Textarea(attrs=TEXTAREA)
    )
    photos = PhotosField()


class ProgressForm(ActionForm):
    note = _note(required=True, label=_("Progress"))
    photos = PhotosField()


class LeaderVisitForm(ActionForm):
    note = _note(required=True, label=_("What was found and decided on site"))
    photos = PhotosField()


class VerifyForm(ActionForm):
    outcome = forms.ChoiceField(
        label=_("Verification"),
        choices=[("pass", _("Solved: close the case")), ("fail", _("Not solved: send back"))],
        widget=forms.RadioSelect(attrs={"class": "seg-input"}),
    )
    note = _note()


class CallbackForm(ActionForm):
    solved = forms.ChoiceField(
        label=_("Is the problem solved?"),
        choices=[("yes", _("Solved")), ("no", _("Not solved"))],
        widget=forms.RadioSelect(attrs={"class": "seg-input"}),
    )
    rating = forms.ChoiceField(
        label=_("Rating"),
        choices=Rating.choices,
        widget=forms.RadioSelect(attrs={"class": "seg-input"}),
    )
    note = _note()


class SuperviseForm(ActionForm):
    level = forms.TypedChoiceField(label=_("Supervision"), coerce=int, choices=Supervision.choices)
    note = _note(required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None and not self.is_bound:
            self.initial.setdefault("level", max(self.case.supervision_level, Supervision.FOLLOW))


class ExtensionRequestForm(ActionForm):
    days = forms.IntegerField(label=_("Extra working days"), min_value=1, max_value=30)
    reason = _reason()


class ExtensionDecisionForm(ActionForm):
    request_id = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect(attrs={"class": "seg-input"}),
    )
    note = _note()

    def __init__(self, *args, requests=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request_id"].choices = [(r.pk, r.pk) for r in requests]


class MergeForm(ActionForm):
    target = forms.CharField(
        label=_("Merge into case number"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "SJ20260101000001", "autocomplete": "off"}),
    )
    note = _note()
