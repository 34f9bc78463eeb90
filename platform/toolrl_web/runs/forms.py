"""The launch form: what a run is launched from, and the GRPO settings users change most.

Records (dataset, tool set, reward configuration) are chosen by id among the project's own;
the form only parses values, and `toolrl_web.runs.launch` resolves and checks them with
`RunConfig`, whose messages go back onto these fields. Help texts are `RunConfig`'s own field
descriptions, so the page and `toolrl train` describe a setting the same way.
"""

from __future__ import annotations

from typing import Any

from django import forms

RUN_PRESETS = [
    ("cpu-tiny", "cpu-tiny: the tiny local model on this machine's CPU"),
    ("toolrl-paper", "toolrl-paper: the paper's GRPO settings (GPU nodes)"),
]
QUEUES = [("cpu", "cpu: CPU workers"), ("gpu", "gpu: GPU workers")]

# Launch field -> the `RunConfig` setting it sets (when given; empty keeps the preset's value).
FIELD_PATHS = {
    "num_generations": "grpo.num_generations",
    "learning_rate": "grpo.learning_rate",
    "temperature": "grpo.temperature",
    "top_p": "grpo.top_p",
    "max_completion_length": "grpo.max_completion_length",
    "max_steps": "grpo.max_steps",
    "epochs": "grpo.epochs",
    "beta": "grpo.beta",
    "epsilon": "grpo.epsilon",
    "scale_rewards": "grpo.scale_rewards",
    "generation_backend": "generation.backend",
    "eval_every": "eval_every",
    "seed": "seed",
}
# Fields a sweep can vary (one per sweep).
SWEEP_FIELDS = [
    "learning_rate",
    "temperature",
    "top_p",
    "beta",
    "epsilon",
    "num_generations",
    "max_completion_length",
    "max_steps",
    "lora_r",
    "seed",
]


def describe(path: str) -> str:
    """The `RunConfig` description of a dotted setting (`grpo.beta`)."""
    from toolrl.training.config import RunConfig

    model: Any = RunConfig
    info = None
    for part in path.split("."):
        info = model.model_fields[part]
        model = _section(info.annotation)
    return (info.description or "") if info else ""


def _section(annotation: Any) -> Any:
    """The settings class of a section (`LoraSettings` for `LoraSettings | None`), or None."""
    from typing import get_args

    from pydantic import BaseModel

    for option in (annotation, *get_args(annotation)):
        if isinstance(option, type) and issubclass(option, BaseModel):
            return option
    return None


def setting_value(config: dict, path: str) -> Any:
    """A setting's value once the configuration's preset is applied (`RunConfig`'s default
    when neither sets it)."""
    from toolrl.configfile import deep_merge
    from toolrl.training.config import PRESETS, RunConfig

    node: Any = deep_merge(PRESETS.get(config.get("preset") or "", {}), config)
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return _default(RunConfig, path)
        node = node[part]
    return node


def _default(model: Any, path: str) -> Any:
    head, _, rest = path.partition(".")
    info = model.model_fields[head]
    if rest:
        return _default(_section(info.annotation), rest)
    return info.get_default(call_default_factory=True)


def reward_presets() -> list[tuple[str, str]]:
    from toolrl.rewards import PRESETS

    return [(name, name) for name in PRESETS]


class RecordChoiceField(forms.ChoiceField):
    """A record chosen by id; whether it may be used is decided by the project-scoped lookup in
    `launch` (its message names the field), not by this list, which only offers the choices."""

    def valid_value(self, value: str) -> bool:
        return True


def _optional_choices(empty: str, pairs) -> list[tuple[str, str]]:
    return [("", empty), *((str(pk), label) for pk, label in pairs)]


class RunLaunchForm(forms.Form):
    clone_of = forms.CharField(required=False, widget=forms.HiddenInput)
    # Name, preset, model and queue have defaults, so an API call may leave them out.
    name = forms.CharField(
        max_length=200, initial="toolrl run", required=False, help_text=describe("name")
    )
    preset = forms.ChoiceField(
        choices=RUN_PRESETS, initial="cpu-tiny", label="Run preset", required=False,
        help_text="Starting values; every setting left empty below keeps the preset's value.",
    )  # fmt: skip
    model = forms.CharField(
        max_length=200, initial="tiny", label="Model", required=False,
        help_text="A Hugging Face id (org/name), tiny (the tiny local model, tiny:fast for a "
        "quicker one), or the name of a folder in the server's models folder.",
    )  # fmt: skip
    dataset = RecordChoiceField(required=False, help_text=describe("data.train"))
    toolset = RecordChoiceField(
        required=False, label="Tool set",
        help_text="The tools the dataset's rows are checked against (set in the dataset's settings).",
    )  # fmt: skip
    validation_dataset = RecordChoiceField(
        required=False, label="Validation", help_text=describe("data.validation")
    )
    reward_configuration = RecordChoiceField(required=False, label="Reward configuration")
    reward_preset = forms.ChoiceField(
        choices=reward_presets, initial="toolrl", required=False, label="Reward preset",
        help_text="Used when no reward configuration of the project is chosen.",
    )  # fmt: skip
    num_generations = forms.IntegerField(required=False, label="Rollouts per prompt")
    prompts_per_step = forms.IntegerField(
        required=False, label="Prompts per step",
        help_text="Distinct prompts per generation round (one optimizer step per round).",
    )  # fmt: skip
    learning_rate = forms.FloatField(required=False, label="Learning rate")
    temperature = forms.FloatField(required=False)
    top_p = forms.FloatField(required=False, label="Top-p")
    max_completion_length = forms.IntegerField(required=False, label="Max completion length")
    max_steps = forms.IntegerField(required=False, label="Steps")
    epochs = forms.FloatField(required=False)
    beta = forms.FloatField(required=False, label="Beta (KL)")
    epsilon = forms.FloatField(required=False, label="Clip range")
    scale_rewards = forms.ChoiceField(
        required=False, label="Reward scaling",
        choices=[("", "preset's"), ("group", "group"), ("batch", "batch"), ("none", "none")],
    )  # fmt: skip
    lora = forms.BooleanField(required=False, label="LoRA", help_text=describe("model.lora"))
    lora_r = forms.IntegerField(
        required=False, label="LoRA rank", help_text=describe("model.lora.r")
    )
    generation_backend = forms.ChoiceField(
        required=False, label="Generation backend",
        choices=[("", "preset's"), ("transformers", "transformers"),
                 ("vllm-colocate", "vllm-colocate"), ("vllm-server", "vllm-server")],
    )  # fmt: skip
    eval_every = forms.IntegerField(required=False, label="Evaluate every")
    seed = forms.IntegerField(required=False)
    queue = forms.ChoiceField(
        choices=QUEUES, initial="cpu", required=False, help_text="Workers that take the run."
    )
    sweep_field = forms.ChoiceField(
        required=False, label="Sweep over",
        choices=[("", "no sweep"), *((f, f) for f in SWEEP_FIELDS)],
    )  # fmt: skip
    sweep_values = forms.CharField(
        required=False, label="Sweep values",
        help_text="Several values (commas or spaces): one run each, grouped as one sweep.",
    )  # fmt: skip

    def __init__(self, *args, project=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, path in FIELD_PATHS.items():
            field = self.fields[name]
            if not field.help_text:
                field.help_text = describe(path)
            if isinstance(field, forms.IntegerField | forms.FloatField):
                field.widget.attrs.setdefault("step", "any")
        if project is not None:
            self._offer_records(project)
        self.fields[
            "reward_configuration"
        ].help_text = "The project's reward configurations; the run keeps a copy of the one chosen."

    def _offer_records(self, project) -> None:
        from toolrl_web.datasets import selectors as datasets
        from toolrl_web.rewards.models import RewardConfiguration

        valid = [(d.pk, d.name) for d in datasets.datasets_valid_for_project(project=project)]
        self.fields["dataset"].choices = _optional_choices("Synthetic task (generated)", valid)
        self.fields["validation_dataset"].choices = _optional_choices("The dataset's split", valid)
        toolsets = [(t.pk, t.name) for t in datasets.toolset_list_for_project(project=project)]
        self.fields["toolset"].choices = _optional_choices("The dataset's tool set", toolsets)
        rewards = RewardConfiguration.objects.filter(project=project).values_list("pk", "name")
        self.fields["reward_configuration"].choices = _optional_choices("Reward preset", rewards)

    def show_preset_values(self, config: dict) -> None:
        """Show what an empty field means: the value the configuration's preset gives."""
        for name, path in FIELD_PATHS.items():
            value = setting_value(config, path)
            if value is not None and not isinstance(value, dict):
                self.fields[name].widget.attrs["placeholder"] = str(value)
        size = setting_value(config, "grpo.generation_batch_size")
        per_prompt = setting_value(config, "grpo.num_generations")
        if size and per_prompt:
            self.fields["prompts_per_step"].widget.attrs["placeholder"] = str(size // per_prompt)
        self.fields["lora_r"].widget.attrs["placeholder"] = "16"
