from __future__ import annotations

import json

from django import forms

RUN_PRESETS = [
    ("cpu-tiny", "cpu-tiny: the tiny local model on this machine's CPU"),
    ("toolrl-paper", "toolrl-paper: the paper's GRPO settings (GPU nodes)"),
]


def reward_choices() -> list[tuple[str, str]]:
    from toolrl.rewards import PRESETS

    return [(name, name) for name in PRESETS]


class RunLaunchForm(forms.Form):
    name = forms.CharField(max_length=200, initial="toolrl run")
    preset = forms.ChoiceField(choices=RUN_PRESETS, initial="cpu-tiny", label="Run preset")
    reward = forms.ChoiceField(choices=reward_choices, initial="toolrl", label="Reward preset")
    max_steps = forms.IntegerField(
        min_value=1, required=False, label="Steps", help_text="Empty: the preset's length."
    )
    overrides = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        label="Configuration overrides (JSON)",
        help_text='Merged over the preset, e.g. {"grpo": {"learning_rate": 1e-4}}.',
    )

    def clean_overrides(self) -> dict:
        text = self.cleaned_data.get("overrides", "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"Not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from None
        if not isinstance(value, dict):
            raise forms.ValidationError('Give a JSON object, e.g. {"seed": 1}.')
        return value

    def run_config(self) -> dict:
        data = self.cleaned_data
        config = dict(data["overrides"])
        config["preset"] = data["preset"]
        config["name"] = data["name"]
        config.setdefault("reward", data["reward"])
        if data.get("max_steps"):
            config.setdefault("grpo", {})
            config["grpo"] = {**config["grpo"], "max_steps": data["max_steps"]}
        return config
