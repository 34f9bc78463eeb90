"""The tiny local base model: tokenizer round trip, tags, cache, warm-up styles."""

from __future__ import annotations

import json
import time

import pytest

from tests.toolrl.conftest_training import fast_model, tiny_cache  # noqa: F401  (fixtures)
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


def test_tokenizer_round_trips_through_auto_tokenizer(fast_model):  # noqa: F811
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


def test_tags_are_single_non_special_tokens_that_survive_decoding(fast_model):  # noqa: F811
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


def test_model_loads_with_auto_classes_and_generates(fast_model):  # noqa: F811
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


def test_second_build_reuses_the_cache(fast_model, tiny_cache):  # noqa: F811
    from toolrl.tiny import build_tiny_model

    t0 = time.monotonic()
    assert build_tiny_model("fast") == fast_model
    assert time.monotonic() - t0 < 5
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
