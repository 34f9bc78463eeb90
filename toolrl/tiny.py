"""A tiny local base model for machines without a GPU or a model hub.

`build_tiny_model()` trains a byte-level BPE tokenizer, builds a small Qwen2-architecture model
from a config and gives it a short supervised warm-up on a *generic* mix of output styles, then
caches the result under `$TOOLRL_CACHE/tiny/<name>-<hash>/` (default `~/.cache/toolrl`). The hash
covers the recipe, this module's version and a sample of the rendered warm-up data, so a change to
the recipe, the prompt or the synthetic task builds a new model instead of reusing a stale one.

Why a mix: the warm-up makes an "instruct" model that already picks tools and fills in
arguments, but in many styles (no `<think>`, JSON lists, code fences, Python-like calls, plain
answers), and only sometimes in the ToolRL format. Greedy decoding then mostly picks a wrong
style, which is what ToolRL's cold-start GRPO teaches away (cpu-notes §7: leave an easy,
rewardable behaviour half-learned).

Why mostly short generic prompts: a real instruct model was tuned on many tool prompts, rarely
ToolRL's; and the ToolRL system message is ~400 of a ~500-token prompt, so 80 % short prompts
(batched by length) make a warm-up step ~2.5x cheaper. The saved compute buys more steps, and a
light language-modelling loss on the prompt tokens (paid for anyway by the forward pass) makes
the model read its context: measured on 100 held-out rows, the share of calls right in *any*
style rose from 41 % (300 steps, ToolRL prompts only, 386 s) to 52 % (450 steps, 201 s).

Tokenizer recipe (cpu-notes §2): Qwen2's normalizer and split regex, so that `AutoTokenizer`
(which maps `qwen2` to `Qwen2Tokenizer` and rebuilds those pieces from its own defaults) reloads
it unchanged; the ToolRL tags are added as *non-special* tokens so that decoding with
`skip_special_tokens=True` keeps them.

Example::

    path = build_tiny_model("fast")          # ~10 s the first time, then cached
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolrl.prompt import format_call, render_messages, render_target
from toolrl.schema import Row, ToolSpec
from toolrl.synthetic import make_rows

log = logging.getLogger(__name__)

# Bump when the build code changes in a way the recipe fields do not capture.
TINY_VERSION = 1

QWEN2_SPLIT_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
    r"""\s*[\r\n]+|\s+(?!\S)|\s+"""
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Non-special on purpose: GRPO decodes with skip_special_tokens=True and the reward must see them.
TAG_TOKENS = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<response>", "</response>", "<obs>", "</obs>"]  # fmt: skip
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)


@dataclass(frozen=True)
class TinyRecipe:
    """Everything that decides the tiny model; hashed into the cache key."""

    vocab_size: int = 2048
    """BPE vocabulary size before the added tags."""
    hidden_size: int = 128
    """Qwen2 hidden size."""
    intermediate_size: int = 512
    """Qwen2 MLP size."""
    num_layers: int = 4
    """Transformer layers."""
    num_heads: int = 4
    """Attention heads."""
    num_kv_heads: int = 2
    """Key/value heads (grouped-query attention)."""
    max_position_embeddings: int = 1024
    """Longest prompt + completion the model accepts (tokens)."""
    warmup_rows: int = 2000
    """Synthetic rows in the warm-up mix."""
    warmup_steps: int = 450
    """Supervised optimizer steps."""
    batch_size: int = 16
    """Warm-up batch size (sequences)."""
    learning_rate: float = 3e-3
    """Peak warm-up learning rate (cosine decay, linear warm-up over 20 steps)."""
    style_mix: tuple[tuple[str, float], ...] = (
        ("toolrl", 0.25),
        ("no_think", 0.15),
        ("json_list", 0.35),
        ("code_fence", 0.15),
        ("python", 0.10),
    )
    """Output styles of the warm-up targets for rows with tool calls (weights)."""
    response_mix: tuple[tuple[str, float], ...] = (
        ("toolrl", 0.5),
        ("plain", 0.35),
        ("no_think", 0.15),
    )
    """Output styles of the warm-up targets for response-only rows (weights)."""
    prompt_loss_weight: float = 0.3
    """Weight of a language-modelling loss on the prompt tokens (0 = completion only).

    The forward pass over the prompt is paid anyway; predicting it too is pretraining-like
    signal that teaches the model to read and copy from its context (followups repeat values)."""
    toolrl_prompt_share: float = 0.2
    """Share of warm-up prompts with the ToolRL system message; the rest get a short generic one.

    A real instruct model has seen many tool prompts, rarely this one. Short prompts also make
    the warm-up several times cheaper: the ToolRL system message is ~400 of ~500 prompt tokens."""
    generic_corpus: bool = False
    """Add stdlib docstrings (generic English) to the tokenizer corpus (longer prompts, slower)."""
    seed: int = 0
    """Seed of data, initialisation and batching."""


RECIPES: dict[str, TinyRecipe] = {
    "default": TinyRecipe(),
    # For tests: small and quick (seconds), still a real tokenizer + Qwen2 model + warm-up.
    "fast": TinyRecipe(
        vocab_size=1024,
        hidden_size=64,
        intermediate_size=128,
        num_layers=2,
        num_heads=2,
        num_kv_heads=1,
        max_position_embeddings=2048,
        warmup_rows=128,
        warmup_steps=40,
        batch_size=8,
        learning_rate=5e-3,
        style_mix=(("toolrl", 0.5), ("no_think", 0.5)),
        response_mix=(("toolrl", 0.5), ("plain", 0.5)),
        toolrl_prompt_share=1.0,
        prompt_loss_weight=0.0,
    ),
}


def cache_root() -> Path:
    """`$TOOLRL_CACHE` or `~/.cache/toolrl`.

    >>> cache_root().name in ("toolrl",) or "TOOLRL_CACHE" in os.environ
    True
    """
    return Path(os.environ.get("TOOLRL_CACHE") or Path.home() / ".cache" / "toolrl")


def _recipe(recipe: str | TinyRecipe) -> tuple[str, TinyRecipe]:
    if isinstance(recipe, TinyRecipe):
        return "custom", recipe
    if recipe not in RECIPES:
        raise ValueError(f"unknown tiny recipe {recipe!r}; known: {sorted(RECIPES)}")
    return recipe, RECIPES[recipe]


# --- warm-up data -------------------------------------------------------------------------------


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


def recipe_key(recipe: str | TinyRecipe) -> str:
    """Cache directory name: `<name>-<hash of recipe, version and a data sample>`.

    >>> recipe_key("fast").startswith("fast-")
    True
    """
    name, rec = _recipe(recipe)
    sample = warmup_examples(dataclasses.replace(rec, warmup_rows=16))
    blob = json.dumps(
        {"recipe": dataclasses.asdict(rec), "version": TINY_VERSION, "sample": sample},
        sort_keys=True,
    )
    return f"{name}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


# --- tokenizer and model ------------------------------------------------------------------------


def _generic_texts() -> list[str]:
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


def _chat_text(example: dict[str, Any]) -> str:
    msgs = example["prompt"] + [{"role": "assistant", "content": example["completion"]}]
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in msgs)


def train_tokenizer(texts: list[str], vocab_size: int):
    """A byte-level BPE `PreTrainedTokenizerFast` with Qwen2's split regex and ChatML template."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in TAG_TOKENS])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>", "<|im_end|>"],
        padding_side="left",
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(tokenizer, recipe: TinyRecipe):
    """A randomly initialised `Qwen2ForCausalLM` sized by the recipe."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(recipe.seed)
    eos, pad = tokenizer.convert_tokens_to_ids(["<|im_end|>", "<|endoftext|>"])
    cfg = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=recipe.hidden_size,
        intermediate_size=recipe.intermediate_size,
        num_hidden_layers=recipe.num_layers,
        num_attention_heads=recipe.num_heads,
        num_key_value_heads=recipe.num_kv_heads,
        max_position_embeddings=recipe.max_position_embeddings,
        tie_word_embeddings=True,
        eos_token_id=eos,
        pad_token_id=pad,
        bos_token_id=None,
    )
    model = Qwen2ForCausalLM(cfg)
    model.generation_config = GenerationConfig(eos_token_id=eos, pad_token_id=pad)
    return model


def _batches(lengths: list[int], batch_size: int, steps: int, seed: int) -> Iterator[list[int]]:
    """Shuffled batches of similar lengths: padding to the longest would waste most of the
    compute when short generic prompts share a batch with the ~500-token ToolRL prompt."""
    r = random.Random(seed)
    queue: list[list[int]] = []
    for _ in range(steps):
        if not queue:
            order = list(range(len(lengths)))
            r.shuffle(order)
            pool = batch_size * 32
            for start in range(0, len(order), pool):
                chunk = sorted(order[start : start + pool], key=lengths.__getitem__)
                queue += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
            r.shuffle(queue)
        yield queue.pop()


def warm_up(model, tokenizer, examples: list[dict[str, Any]], recipe: TinyRecipe) -> dict[str, Any]:
    """Supervised warm-up (loss on the completion, optionally on the prompt too); returns a report
    whose losses are the completion's."""
    import torch

    torch.manual_seed(recipe.seed)
    encoded = []
    for ex in examples:
        prompt_ids = tokenizer.apply_chat_template(
            ex["prompt"], add_generation_prompt=True, tokenize=True
        )
        prompt_ids = list(prompt_ids["input_ids"] if hasattr(prompt_ids, "keys") else prompt_ids)
        completion_ids = tokenizer(ex["completion"] + "<|im_end|>\n", add_special_tokens=False)[
            "input_ids"
        ]
        ids = (prompt_ids + completion_ids)[: recipe.max_position_embeddings]
        labels = ([-100] * len(prompt_ids) + completion_ids)[: recipe.max_position_embeddings]
        encoded.append((ids, labels))
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.learning_rate, weight_decay=0.0)
    warm = min(20, max(1, recipe.warmup_steps // 10))

    def lr_at(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        progress = (step - warm) / max(1, recipe.warmup_steps - warm)
        return 0.5 * (1 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    pad = tokenizer.pad_token_id
    model.train()
    losses = []
    lengths = [len(ids) for ids, _ in encoded]
    for idx in _batches(lengths, recipe.batch_size, recipe.warmup_steps, recipe.seed):
        width = max(len(encoded[i][0]) for i in idx)
        ids = torch.full((len(idx), width), pad, dtype=torch.long)
        labels = torch.full((len(idx), width), -100, dtype=torch.long)
        for row, i in enumerate(idx):
            seq, lab = encoded[i]
            ids[row, : len(seq)] = torch.tensor(seq)
            labels[row, : len(lab)] = torch.tensor(lab)
        # No attention mask: padding is on the right and attention is causal, so real tokens
        # never see it, and without a mask SDPA takes its fast causal path (~4x faster here).
        hidden = model.model(input_ids=ids).last_hidden_state[:, :-1]
        target = labels[:, 1:]
        keep = target != -100
        # The LM head only where there is a label: the prompt is ~10x the completion.
        loss = torch.nn.functional.cross_entropy(model.lm_head(hidden[keep]), target[keep])
        completion_loss = loss
        if recipe.prompt_loss_weight > 0:
            prompt_target = ids[:, 1:]
            in_prompt = (target == -100) & (prompt_target != pad)
            prompt_loss = torch.nn.functional.cross_entropy(
                model.lm_head(hidden[in_prompt]), prompt_target[in_prompt]
            )
            loss = loss + recipe.prompt_loss_weight * prompt_loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(float(completion_loss.detach()))
        if len(losses) % 50 == 0:
            log.info("warm-up step %d/%d loss %.3f", len(losses), recipe.warmup_steps, losses[-1])
    model.eval()
    tail = losses[-10:] or [float("nan")]
    return {
        "steps": len(losses),
        "first_loss": losses[0] if losses else None,
        "final_loss": sum(tail) / len(tail),
    }


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive file lock, so two processes never build the same model at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_tiny_model(
    recipe: str | TinyRecipe = "default",
    *,
    cache_dir: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Build (or reuse from the cache) the tiny base model; returns its directory.

    The directory loads with `AutoTokenizer` / `AutoModelForCausalLM.from_pretrained` and holds
    `tiny_recipe.json` (the recipe, its key and the warm-up report).

    >>> path = build_tiny_model("fast")  # doctest: +SKIP
    >>> (path / "config.json").exists()  # doctest: +SKIP
    True
    """
    name, rec = _recipe(recipe)
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    key = recipe_key(rec if name == "custom" else name)
    final = root / "tiny" / key
    with _lock(root / "tiny" / f".{key}.lock"):
        if final.exists() and (final / "tiny_recipe.json").exists() and not force:
            return final
        t0 = time.monotonic()
        examples = warmup_examples(rec)
        texts = [_chat_text(ex) for ex in examples]
        if rec.generic_corpus:
            texts += _generic_texts()
        tokenizer = train_tokenizer(texts, rec.vocab_size)
        model = build_model(tokenizer, rec)
        report = warm_up(model, tokenizer, examples, rec)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=final.parent))
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        info = {
            "key": key,
            "recipe": dataclasses.asdict(rec),
            "parameters": sum(p.numel() for p in model.parameters()),
            "warmup": report,
            "build_seconds": round(time.monotonic() - t0, 2),
        }
        (tmp / "tiny_recipe.json").write_text(json.dumps(info, indent=2))
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        log.info("built tiny model %s in %.1f s", final, info["build_seconds"])
        return final


def resolve_model_path(name_or_path: str) -> str:
    """Map `tiny` / `tiny:<recipe>` to the cached tiny model (built if needed); else unchanged.

    >>> resolve_model_path("Qwen/Qwen2.5-1.5B-Instruct")
    'Qwen/Qwen2.5-1.5B-Instruct'
    """
    if name_or_path == "tiny" or name_or_path.startswith("tiny:"):
        recipe = name_or_path.partition(":")[2] or "default"
        return str(build_tiny_model(recipe))
    return name_or_path
