"""The tiny local base model: tokenizer round trip, tags, cache, warm-up styles."""

from __future__ import annotations

import json

import pytest

from toolrl.prompt import render_messages, render_target
from toolrl.schema import Row, Target, ToolCall
from toolrl.synthetic import make_rows
from toolrl.tiny import RECIPES, TAG_TOKENS, TinyRecipe, recipe_key, style_target


def _texts() -> list[str]:
    rows = make_rows(30, seed=11)
    texts = []
    for r in rows:
        msgs = render_messages(r)
        texts += [msgs[0]["content"], msgs[1]["content"], render_target(r.target)]
    # Outside the training corpus: accents, digits, CJK, emoji, odd spacing.
    texts += [
        "Zürich café ½ — 12345.67",
        "東京で天気は？ 🌧️",
        "  two  spaces\n\n\ttab",
        "it's we'll I'D",
    ]
    return texts


@pytest.mark.slow
def test_tokenizer_round_trips_through_auto_tokenizer(fast_model):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    raw = Tokenizer.from_file(str(fast_model / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(fast_model)
    for text in _texts():
        # The reload trap: Qwen2Tokenizer rebuilds the pre-tokenizer; ids must not change.
        assert (
            auto(text, add_special_tokens=False)["input_ids"]
            == raw.encode(text, add_special_tokens=False).ids
        )
        assert auto.decode(auto(text, add_special_tokens=False)["input_ids"]) == text


@pytest.mark.slow
def test_tags_are_single_non_special_tokens_that_survive_decoding(fast_model):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(fast_model)
    for tag in TAG_TOKENS:
        ids = tok(tag, add_special_tokens=False)["input_ids"]
        assert len(ids) == 1, tag
        assert tag not in tok.all_special_tokens
    text = (
        '<think> x </think>\n<tool_call>\n{"name": "a", "parameters": {}}\n</tool_call><|im_end|>'
    )
    decoded = tok.decode(tok(text, add_special_tokens=False)["input_ids"], skip_special_tokens=True)
    assert decoded == text.replace("<|im_end|>", "")
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"


@pytest.mark.slow
def test_model_loads_with_auto_classes_and_generates(fast_model):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(fast_model)
    model = AutoModelForCausalLM.from_pretrained(fast_model)
    assert model.config.model_type == "qwen2"
    prompt = tok.apply_chat_template(
        render_messages(make_rows(1)[0]), add_generation_prompt=True, tokenize=False
    )
    assert prompt.endswith("<|im_start|>assistant\n")
    enc = tok(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**enc, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > enc["input_ids"].shape[1]
    info = json.loads((fast_model / "tiny_recipe.json").read_text())
    assert info["warmup"]["final_loss"] < info["warmup"]["first_loss"]


@pytest.mark.slow
def test_second_build_reuses_the_cache(fast_model, tiny_cache, monkeypatch):
    """A second build returns the cached folder without training anything (timed in
    bench/tiny_cache.py)."""
    from toolrl.tiny import build_tiny_model, cache

    def no_build(*args, **kwargs):
        raise AssertionError("the cached model was built again")

    monkeypatch.setattr(cache, "train_tokenizer", no_build)
    monkeypatch.setattr(cache, "warm_up", no_build)
    assert build_tiny_model("fast") == fast_model
    assert fast_model.parent == tiny_cache / "tiny"


def test_cache_key_follows_the_recipe():
    base = RECIPES["fast"]
    assert recipe_key("fast") == recipe_key("fast")
    assert recipe_key(
        TinyRecipe(**{**base.__dict__, "warmup_steps": base.warmup_steps + 1})
    ) != recipe_key(TinyRecipe(**base.__dict__))


@pytest.mark.parametrize(
    "style, expected",
    [
        # the ToolRL format itself
        (
            "toolrl",
            '<think> t </think>\n<tool_call>\n{"name": "A", "parameters": {"x": 1}}\n</tool_call>',
        ),
        # right tags, no thought: format 0, calls still parse
        ("no_think", '<tool_call>\n{"name": "A", "parameters": {"x": 1}}\n</tool_call>'),
        # a JSON list inside the tags: does not parse the ToolRL way
        ("json_list", '<tool_call>\n[{"name": "A", "parameters": {"x": 1}}]\n</tool_call>'),
        # markdown code fence, no tags
        ("code_fence", '```json\n{"name": "A", "parameters": {"x": 1}}\n```'),
        # Python-like call
        ("python", "A(x=1)"),
    ],
)
def test_warmup_styles(style, expected):
    row = Row(id="r", target=Target(thought="t", calls=[ToolCall(name="A", parameters={"x": 1})]))
    assert style_target(row, style) == expected


def test_response_styles():
    row = Row(id="r", target=Target(thought="t", response="Hi."))
    assert style_target(row, "plain") == "Hi."
    assert style_target(row, "no_think") == "<response> Hi. </response>"
    assert style_target(row, "toolrl") == "<think> t </think>\n<response> Hi. </response>"


def test_warmup_prompts_mix_toolrl_and_short_generic_system_messages():
    import dataclasses

    from toolrl.tiny import GENERIC_SYSTEM, warmup_examples

    rec = dataclasses.replace(RECIPES["default"], warmup_rows=200)
    examples = warmup_examples(rec)
    toolrl = [
        e for e in examples if e["prompt"][0]["content"].startswith("You are a helpful multi")
    ]
    generic = [e for e in examples if e not in toolrl]
    # The default recipe puts the ToolRL system message on ~20 % of the prompts.
    assert 0.1 < len(toolrl) / len(examples) < 0.3
    heads = tuple(t.split("{tools}")[0] for t in GENERIC_SYSTEM)
    for ex in generic:
        system = ex["prompt"][0]["content"]
        assert system.startswith(heads)
        assert len(system) < len(toolrl[0]["prompt"][0]["content"]) / 2
    # Every tool of the row is listed with its parameters (enums spelled out).
    rows = make_rows(rec.warmup_rows, seed=rec.seed + 7, id_prefix="warmup")
    row, ex = next((r, e) for r, e in zip(rows, examples, strict=True) if e in generic and r.tools)
    for tool in row.tools:
        assert f"{tool.name}(" in ex["prompt"][0]["content"]
    only_toolrl = warmup_examples(dataclasses.replace(rec, toolrl_prompt_share=1.0))
    assert all(e["prompt"] == render_messages(r) for e, r in zip(only_toolrl, rows, strict=True))


def test_warmup_batches_group_similar_lengths_and_cover_every_example():
    import random

    from toolrl.tiny.build import _batches

    r = random.Random(0)
    lengths = [r.choice([100, 500]) + r.randint(0, 20) for _ in range(1024)]
    batches = list(_batches(lengths, 16, 64, seed=0))
    assert sorted(i for b in batches for i in b) == list(range(1024))  # one epoch, no repeats
    spread = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches]
    # Padding to the batch's longest wastes little: short and long prompts rarely share a batch.
    assert sum(s > 100 for s in spread) <= 2
