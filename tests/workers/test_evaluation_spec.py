"""What the evaluation process reads for each suite: the run's validation rows and reward, or,
for a base model outside a run, the synthetic task's held-out rows."""

from __future__ import annotations

import pytest

from tests.conftest import tiny_run_config
from toolrl.evaluation import EvaluationError
from toolrl.training.config import RunConfig
from toolrl.training.data import load_splits
from workers.evaluation_child import _load_suites


def test_a_run_is_evaluated_on_the_validation_rows_it_trained_with():
    config = RunConfig.from_dict(
        tiny_run_config(seed=7, reward="length", data={"synthetic_validation": 6})
    ).model_dump(mode="json")
    (suite,) = _load_suites({"suites": ["held-out"], "run_config": config, "held_out_rows": 100})
    _, validation = load_splits(RunConfig.from_dict(config).data, 7)
    assert [i.id for i in suite.items] == [r.id for r in validation] and len(validation) == 6
    assert suite.reward.name == "length" and "seed 7" in suite.data


def test_a_base_model_outside_a_run_keeps_the_synthetic_held_out_rows():
    (suite,) = _load_suites({"suites": ["held-out"], "run_config": None, "held_out_rows": 100})
    assert len(suite.items) == 100 and suite.reward.name == "toolrl"
    assert suite.data.startswith("synthetic")


def test_a_missing_validation_file_is_one_line_naming_it(tmp_path):
    train = tmp_path / "train.jsonl"
    train.write_text("")
    config = tiny_run_config(data={"train": str(train), "validation": str(tmp_path / "gone.jsonl")})
    with pytest.raises(EvaluationError) as found:
        _load_suites({"suites": ["held-out"], "run_config": config})
    assert found.value.lines[0].startswith("the run's validation data: ")
    assert "train.jsonl" in found.value.lines[0] or "gone.jsonl" in found.value.lines[0]


def test_toolrl_validation_of_a_run_reports_its_rewards_means():
    from tests import shared_data

    if not shared_data.DATA.is_dir():
        shared_data.skip_or_fail(f"{shared_data.SKIP_REASON_PREFIX} (ToolRL's validation split)")
    config = tiny_run_config(reward="length")
    spec = {"suites": ["toolrl-validation"], "data_dir": str(shared_data.DATA), "limit": 1}
    (with_run,) = _load_suites({**spec, "run_config": config})
    (without,) = _load_suites({**spec, "run_config": None})
    assert with_run.reward.name == "length" and without.reward.name == "toolrl"
    assert [i.id for i in with_run.items] == [i.id for i in without.items]
