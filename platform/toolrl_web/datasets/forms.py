from __future__ import annotations

from django import forms
from django.conf import settings

from toolrl.formats import FORMATS
from toolrl_web.datasets.models import Dataset, Toolset

FORMAT_CHOICES = [("auto", "Detect from the file")] + [(name, name) for name in FORMATS]
TOKENIZER_HELP = (
    "Prompt lengths are counted with this model's tokenizer: tiny (the local model), "
    "tiny:fast, or a model hub id. Empty: no token counts."
)


class _SettingsFields(forms.Form):
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial="auto", label="Format")
    toolset = forms.ModelChoiceField(
        queryset=Toolset.objects.none(),
        required=False,
        label="Tool set",
        empty_label="None: the rows list their own tools",
        help_text="For rows without tools: every ground-truth call is checked against it.",
    )
    validation_fraction = forms.FloatField(
        min_value=0,
        max_value=0.9,
        initial=0.1,
        label="Validation fraction",
        help_text="Share of the rows held out for evaluation, drawn with the seed.",
    )
    split_seed = forms.IntegerField(initial=0, label="Split seed")
    validation_dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.none(),
        required=False,
        label="Or validate on another dataset",
        empty_label="No: hold out the fraction above",
    )
    tokenizer = forms.CharField(
        max_length=200, required=False, label="Count tokens with", help_text=TOKENIZER_HELP
    )

    def __init__(self, *args, project, exclude_dataset: Dataset | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["toolset"].queryset = Toolset.objects.filter(project=project)
        datasets = Dataset.objects.filter(project=project)
        if exclude_dataset is not None:
            datasets = datasets.exclude(pk=exclude_dataset.pk)
        self.fields["validation_dataset"].queryset = datasets
        self.fields["tokenizer"].initial = settings.DATASET_TOKENIZER

    def settings_values(self) -> dict:
        data = self.cleaned_data
        return {
            "format": data["format"],
            "toolset": data.get("toolset"),
            "validation_fraction": data["validation_fraction"],
            "split_seed": data["split_seed"],
            "validation_dataset": data.get("validation_dataset"),
            "tokenizer": data.get("tokenizer", ""),
        }


class DatasetUploadForm(_SettingsFields):
    # An empty file gets the report's "empty file", which names it, like any other problem.
    file = forms.FileField(
        allow_empty_file=True,
        label="Dataset file",
        help_text="JSON, JSON Lines or parquet, optionally gzip-compressed (.gz).",
    )
    name = forms.CharField(
        max_length=200, required=False, help_text="Empty: the file's name.", label="Name"
    )
    field_order = ["file", "name"]


class DatasetSettingsForm(_SettingsFields):
    pass


class DatasetFileForm(forms.Form):
    file = forms.FileField(allow_empty_file=True, label="Corrected file")


class SyntheticDatasetForm(forms.Form):
    name = forms.CharField(
        max_length=200, required=False, help_text="Empty: a name from the size and seed."
    )
    size = forms.IntegerField(min_value=1, max_value=20_000, initial=1000, label="Rows")
    seed = forms.IntegerField(initial=0)
    validation_fraction = forms.FloatField(
        min_value=0, max_value=0.9, initial=0.1, label="Validation fraction"
    )


class ToolsetUploadForm(forms.Form):
    file = forms.FileField(
        allow_empty_file=True,
        label="Tool set file",
        help_text='JSON: a list of {"type": "function", "function": {...}} or of '
        '{"name", "description", "parameters"} (parameters: a JSON Schema object).',
    )
    name = forms.CharField(max_length=200, required=False, help_text="Empty: the file's name.")
    field_order = ["file", "name"]
