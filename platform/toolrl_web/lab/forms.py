from __future__ import annotations

from django import forms

from toolrl_web.lab.models import RescoreJob


def _preset_choices() -> list[tuple[str, str]]:
    from toolrl.rewards import PRESETS

    return [(name, name) for name in PRESETS]


_step_input = forms.NumberInput(attrs={"style": "width: 8rem; display: inline-block"})


class RescoreForm(forms.Form):
    """A step range and a reward: a saved configuration, a preset, or YAML/JSON edited here."""

    step_from = forms.IntegerField(
        required=False, min_value=0, label="From step", widget=_step_input
    )
    step_to = forms.IntegerField(required=False, min_value=0, label="To step", widget=_step_input)
    source = forms.ChoiceField(
        choices=RescoreJob.Source.choices,
        initial=RescoreJob.Source.PRESET,
        widget=forms.RadioSelect,
        label="Reward",
    )
    saved = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Saved configuration"
    )
    preset = forms.ChoiceField(required=False, choices=_preset_choices, initial="equal-max")
    edited = forms.CharField(
        required=False,
        label="Edited in place (YAML or JSON)",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        initial="preset: toolrl\ncorrectness:\n  max: 1\n  min: -1\n",
        help_text="Start from a preset with `preset: NAME`; every field of the reward may be set.",
    )

    def __init__(self, *args, project, run_reward=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if run_reward:
            # Start the editor from the run's own reward: the usual question is "what if this
            # one thing were different".
            import yaml

            data = {"preset": run_reward} if isinstance(run_reward, str) else run_reward
            self.fields["edited"].initial = yaml.safe_dump(data, sort_keys=False)
        self.fields["saved"].choices = [("", "—")] + [
            (c.pk, c.name) for c in project.reward_configurations.all()
        ]
