"""Rows for a run: loaded or synthesised, split, rendered into TRL's conversational prompt format.

Each training record carries the ToolRL prompt rendered with *that row's* tools (TRL does not
render a per-row tools column itself), the row id and the ground truth as ToolRL text (a string
column: Arrow would turn dicts with different keys into structs full of nulls).

Example::

    >>> from toolrl.training.settings import DataSettings
    >>> train, val = load_splits(DataSettings(synthetic_train=4, synthetic_validation=2), seed=0)
    >>> rec = to_records(train)[0]
    >>> sorted(rec), rec["prompt"][0]["role"]
    (['ground_truth', 'prompt', 'prompt_id'], 'system')
"""

from __future__ import annotations

import random
from typing import Any

from toolrl.errors import UserError
from toolrl.prompt import render_messages, render_target
from toolrl.schema import Row
from toolrl.synthetic import make_splits
from toolrl.training.settings import DataSettings


def load_splits(data: DataSettings, seed: int = 0) -> tuple[list[Row], list[Row]]:
    """Training and validation rows per the data settings (synthetic when no file is given)."""
    if data.train is None:
        train, val = make_splits(data.synthetic_train, data.synthetic_validation, seed=seed)
    else:
        from toolrl.formats import load_rows

        train = list(load_rows(data.train, format=data.format))
        if data.validation is not None:
            val = list(load_rows(data.validation, format=data.format))
        else:
            # A seeded shuffle before holding out, so the split does not follow the file's order.
            order = list(range(len(train)))
            random.Random(seed).shuffle(order)
            n_val = round(len(train) * data.validation_fraction)
            held = set(order[:n_val])
            val = [r for i, r in enumerate(train) if i in held]
            train = [r for i, r in enumerate(train) if i not in held]
    if data.max_train_rows is not None:
        train = train[: data.max_train_rows]
    if not train:
        raise UserError("data.train: no training rows")
    return train, val


def to_records(rows: list[Row]) -> list[dict[str, Any]]:
    """TRL dataset records: `prompt` (system + user messages), `prompt_id`, `ground_truth`."""
    return [
        {"prompt": render_messages(r), "prompt_id": r.id, "ground_truth": render_target(r.target)}
        for r in rows
    ]


def prompt_lengths(tokenizer: Any, records: list[dict[str, Any]]) -> list[int]:
    """Token count of each rendered prompt (with the generation prompt), as TRL will see it."""
    texts = [
        tokenizer.apply_chat_template(rec["prompt"], add_generation_prompt=True, tokenize=False)
        for rec in records
    ]
    if not texts:
        return []
    # One batched call: the fast tokenizer encodes in Rust, ~10x quicker than one call per row.
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
