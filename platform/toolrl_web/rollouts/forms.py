"""The rollout browser's filters, read from the query string.

A bad value (a step that is not a number, an unknown label) is reported by field name on the page
and that filter is left out; the page never fails because of a link someone edited.
"""

from __future__ import annotations

from django import forms

from toolrl.taxonomy import LABELS
from toolrl_web.rollouts.selectors import RANGE_COLUMNS, RolloutFilters

COMPONENT_CHOICES = [("", "—")] + [(c, c) for c in RANGE_COLUMNS]
FAILURE_CHOICES = [("", "any")] + [(label, label.replace("_", " ")) for label in LABELS]


class RolloutFilterForm(forms.Form):
    step = forms.IntegerField(required=False, min_value=0)
    component = forms.ChoiceField(choices=COMPONENT_CHOICES, required=False, label="Score")
    min = forms.FloatField(required=False, label="from")
    max = forms.FloatField(required=False, label="to")
    error = forms.CharField(required=False, max_length=64, label="Error category")
    failure = forms.ChoiceField(choices=FAILURE_CHOICES, required=False, label="Failure")
    truncated = forms.BooleanField(required=False, label="Truncated only")
    equal_groups = forms.BooleanField(required=False, label="Groups with equal rewards")
    prompt = forms.CharField(required=False, max_length=200, label="Prompt id")
    q = forms.CharField(required=False, max_length=200, label="Completion contains (exact case)")
    after = forms.RegexField(regex=r"^\d+\.\d+$", required=False)

    def clean(self):
        data = super().clean()
        # `?max=0.5` alone (a hint's link) bounds the total.
        if (data.get("min") is not None or data.get("max") is not None) and not data.get(
            "component"
        ):
            data["component"] = "total"
        return data

    def filters(self) -> RolloutFilters:
        """The valid filters; a field with an error is left out (its message is on the form)."""
        if not self.is_bound:
            return RolloutFilters()
        self.is_valid()
        d = self.cleaned_data
        return RolloutFilters(
            step=d.get("step"),
            component=d.get("component") or None,
            low=d.get("min"),
            high=d.get("max"),
            error=d.get("error") or None,
            failure=d.get("failure") or None,
            truncated=bool(d.get("truncated")),
            equal_groups=bool(d.get("equal_groups")),
            prompt_id=d.get("prompt") or None,
            text=d.get("q") or None,
        )

    def cursor(self) -> tuple[int, int] | None:
        after = getattr(self, "cleaned_data", {}).get("after")
        if not after:
            return None
        step, last_id = after.split(".")
        return int(step), int(last_id)
