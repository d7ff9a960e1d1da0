"""The checklist editor's item rows (a formset: edit, reorder, remove, add), turned into
the items `services.template_save` takes. Blank new rows are skipped; a kept item keeps
its key, so results made with earlier versions still match their items."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gongzhi.inspections.checklists import MAX_ITEMS
from gongzhi.inspections.models import AnswerType, Severity


class ItemForm(forms.Form):
    key = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("What to check"),
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    answer = forms.ChoiceField(
        label=_("Answer"), choices=AnswerType.choices, initial=AnswerType.PASS_FAIL
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial="medium")
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    photo_on_fail = forms.BooleanField(label=_("Photo on fail"), required=False, initial=True)
    min = forms.FloatField(label=_("At least"), required=False, min_value=-1e9, max_value=1e9)
    max = forms.FloatField(label=_("At most"), required=False, min_value=-1e9, max_value=1e9)
    basis = forms.CharField(label=_("Rule cited on a notice"), required=False, max_length=200)


ItemFormSet = forms.formset_factory(
    ItemForm,
    extra=3,
    can_order=True,
    can_delete=True,
    max_num=MAX_ITEMS,
    absolute_max=MAX_ITEMS,
    validate_max=True,
)


def initial_rows(items: list[dict]) -> list[dict]:
    return [
        {
            "key": i["key"],
            "text": i["text"],
            "answer": i.get("answer", AnswerType.PASS_FAIL),
            "severity": i.get("severity", Severity.MEDIUM),
            "required": i.get("required", True),
            "photo_on_fail": i.get("photo_on_fail", True),
            "min": i.get("min"),
            "max": i.get("max"),
            "basis": i.get("basis", ""),
            "category": i.get("category", ""),
        }
        for i in items
    ]


def items_of(formset, earlier: list[dict]) -> list[dict]:
    """The items in the order the rows give, without the removed and the blank ones; a
    new item gets a key no earlier item of the checklist had. `category` (the case
    category a failure is filed under) is kept from the earlier version of the item."""
    kept = {i["key"]: i for i in earlier}
    taken = set(kept)
    rows = [f for f in formset.ordered_forms if f.cleaned_data.get("text")]
    rows = [f for f in rows if not f.cleaned_data.get("DELETE")]
    items, serial = [], len(taken)
    for form in rows:
        data = form.cleaned_data
        key = data.get("key") or ""
        if key not in kept:
            serial += 1
            while f"item{serial}" in taken:
                serial += 1
            key = f"item{serial}"
            taken.add(key)
        item = {
            "key": key,
            "text": data["text"],
            "answer": data["answer"],
            "severity": data["severity"],
            "required": data["required"],
            "photo_on_fail": data["photo_on_fail"] and data["answer"] == AnswerType.PASS_FAIL,
            "basis": data.get("basis") or "",
            "category": kept.get(key, {}).get("category", ""),
        }
        for bound in ("min", "max"):
            if data.get(bound) is not None:
                item[bound] = data[bound]
        items.append(item)
    return items
