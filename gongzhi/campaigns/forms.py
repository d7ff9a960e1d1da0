"""Page forms of special campaigns: parse and type the input; the services validate (a
required name or summary is the service's to refuse, with the same message as the API)."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gongzhi.core.http.forms import IdField

TEXTAREA = {"rows": 3}


class CampaignOpenForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=100, required=False)
    target_date = forms.DateField(
        label=_("Target date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    hotspot = forms.CharField(
        label=_("What was found"),
        required=False,
        widget=forms.Textarea(attrs=TEXTAREA),
        max_length=2000,
    )
    with_recent_cases = forms.BooleanField(
        label=_("Take in the cases of the recent window"), required=False, initial=True
    )
    unit = forms.CharField(widget=forms.HiddenInput, max_length=24)
    category = IdField(widget=forms.HiddenInput, required=False)
    building = IdField(widget=forms.HiddenInput, required=False)


class AddCasesForm(forms.Form):
    numbers = forms.CharField(
        label=_("Case numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "SJ20260301000123"}),
        help_text=_("One or more numbers, separated by spaces, commas or new lines."),
        max_length=20000,
    )


class CloseForm(forms.Form):
    summary = forms.CharField(
        label=pgettext_lazy("campaign", "Summary"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was done, and what changed."),
        max_length=2000,
    )
