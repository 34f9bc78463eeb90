"""The launch form: a model from the run's choices, suites, and how many items per category."""

from __future__ import annotations

from django import forms

from toolrl_web.evaluations import catalog, services


class EvaluationLaunchForm(forms.Form):
    model = forms.ChoiceField(label="Model")
    suites = forms.MultipleChoiceField(label="Suites", widget=forms.CheckboxSelectMultiple)
    limit = forms.IntegerField(
        label="Items per category",
        min_value=0,
        initial=20,
        help_text="0 evaluates every item (BFCL has 3,491; hours on a CPU).",
    )
    max_new_tokens = forms.IntegerField(
        label="Max new tokens", min_value=1, max_value=8192, initial=512
    )

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run
        self.fields["model"].choices = services.model_choices(run=run)
        self.availability = catalog.suites_availability()
        self.fields["suites"].choices = [(s.name, s.label) for s in self.availability]
        self.fields["suites"].initial = ["held-out"]

    @property
    def unavailable(self) -> list[catalog.SuiteAvailability]:
        return [s for s in self.availability if not s.available]

    @property
    def checked_suites(self) -> list[str]:
        value = self["suites"].value()
        return list(value or [])
