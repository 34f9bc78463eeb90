"""The warm-up data: a generic mix of output styles on synthetic tool rows.

The warm-up makes an "instruct" model that already picks tools and fills in arguments, but in
many styles (no `<think>`, JSON lists, code fences, Python-like calls, plain answers), and only
sometimes in the ToolRL format, under mostly short generic system messages (see the package
docstring for why).

Example::

    >>> from toolrl.tiny.recipe import RECIPES
    >>> import dataclasses
    >>> ex = warmup_examples(dataclasses.replace(RECIPES["fast"], warmup_rows=2))[0]
    >>> sorted(ex), ex["prompt"][0]["role"]
    (['completion', 'prompt', 'style'], 'system')
"""

from __future__ import annotations

import contextlib
import json
import random
from typing import Any

from toolrl.prompt import format_call, render_messages, render_target
from toolrl.schema import Row, ToolSpec
from toolrl.synthetic import make_rows
from toolrl.tiny.recipe import TinyRecipe


def _pick(r: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    names, weights = zip(*mix, strict=True)
    return r.choices(names, weights=weights)[0]


def style_target(row: Row, style: str) -> str:
    """The row's target written in one of the warm-up output styles.

    >>> from toolrl.schema import Target, ToolCall
    >>> row = Row(id="x", target=Target(calls=[ToolCall(name="A", parameters={"x": 1})]))
    >>> style_target(row, "python")
    'A(x=1)'
    """
    t = row.target
    if not t.calls:
        if style == "plain":
            return t.response or ""
        if style == "no_think":
            return f"<response> {t.response} </response>"
        return render_target(t)
    lines = [format_call(c) for c in t.calls]
    if style == "toolrl":
        return render_target(t)
    if style == "no_think":
        return "<tool_call>\n" + "\n".join(lines) + "\n</tool_call>"
    if style == "json_list":
        return "<tool_call>\n[" + ", ".join(lines) + "]\n</tool_call>"
    if style == "code_fence":
        return "```json\n" + "\n".join(lines) + "\n```"
    if style == "python":
        calls = []
        for c in t.calls:
            args = ", ".join(f"{k}={json.dumps(v)}" for k, v in c.parameters.items())
            calls.append(f"{c.name}({args})")
        return "\n".join(calls)
    raise ValueError(f"unknown style {style!r}")


# Short, generic tool prompts of the kind instruct models are tuned on ({tools}: a line per tool).
GENERIC_SYSTEM = [
    "You are a helpful assistant. You can call these functions:\n{tools}",
    "# Tools\n{tools}\nUse a tool if one fits the request, otherwise answer.",
    "Available functions:\n{tools}",
]


def _signature(tool: ToolSpec) -> str:
    """`name(param: type, ...) - description`, enums as `a|b|c`: a compact tool listing."""
    props = (tool.parameters or {}).get("properties", {})
    args = []
    for key, spec in props.items():
        kind = "|".join(map(str, spec["enum"])) if "enum" in spec else spec.get("type", "any")
        args.append(f"{key}: {kind}")
    return f"{tool.name}({', '.join(args)}) - {tool.description}"


def generic_system(row: Row, r: random.Random) -> str:
    """A short generic system message listing the row's tools, one line each."""
    tools = "\n".join(_signature(t) for t in row.tools)
    return r.choice(GENERIC_SYSTEM).format(tools=tools)


def warmup_examples(recipe: TinyRecipe) -> list[dict[str, Any]]:
    """Prompt/completion pairs of the generic warm-up mix (conversational, like TRL's SFT format)."""
    rows = make_rows(recipe.warmup_rows, seed=recipe.seed + 7, id_prefix="warmup")
    r = random.Random(recipe.seed)
    out = []
    for row in rows:
        style = _pick(r, recipe.style_mix if row.target.calls else recipe.response_mix)
        prompt = render_messages(row)
        if r.random() >= recipe.toolrl_prompt_share:
            prompt[0] = {"role": "system", "content": generic_system(row, r)}
        out.append({"prompt": prompt, "completion": style_target(row, style), "style": style})
    return out


def generic_texts() -> list[str]:
    """Offline generic English: docstrings of some stdlib modules (deterministic per Python)."""
    import importlib
    import inspect

    texts = []
    for name in ["argparse", "collections", "csv", "datetime", "email", "functools", "json",
                 "logging", "pathlib", "random", "re", "statistics", "string", "textwrap",
                 "unittest", "urllib.parse", "uuid", "zipfile", "heapq", "calendar"]:  # fmt: skip
        with contextlib.suppress(Exception):
            mod = importlib.import_module(name)
            texts.append(inspect.getdoc(mod) or "")
            for _, obj in inspect.getmembers(mod):
                doc = inspect.getdoc(obj) if callable(obj) else None
                if doc:
                    texts.append(doc)
    return texts


def chat_text(example: dict[str, Any]) -> str:
    """A warm-up example as ChatML text (the tokenizer's training corpus)."""
    msgs = example["prompt"] + [{"role": "assistant", "content": example["completion"]}]
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in msgs)
