"""The tiny model's cache: `$TOOLRL_CACHE/tiny/<name>-<hash>/`, built once, under a file lock.

The hash covers the recipe, `TINY_VERSION` and a sample of the rendered warm-up data, so a
change to the recipe, the prompt or the synthetic task builds a new model instead of reusing a
stale one.

Example::

    >>> recipe_key("fast").startswith("fast-")
    True
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from toolrl.tiny.build import build_model, train_tokenizer, warm_up
from toolrl.tiny.recipe import TINY_VERSION, TinyRecipe, named_recipe
from toolrl.tiny.warmup_data import chat_text, generic_texts, warmup_examples

log = logging.getLogger(__name__)


def cache_root() -> Path:
    """`$TOOLRL_CACHE` or `~/.cache/toolrl`.

    >>> cache_root().name in ("toolrl",) or "TOOLRL_CACHE" in os.environ
    True
    """
    return Path(os.environ.get("TOOLRL_CACHE") or Path.home() / ".cache" / "toolrl")


def recipe_key(recipe: str | TinyRecipe) -> str:
    """Cache directory name: `<name>-<hash of recipe, version and a data sample>`.

    >>> recipe_key("fast").startswith("fast-")
    True
    """
    name, rec = named_recipe(recipe)
    sample = warmup_examples(dataclasses.replace(rec, warmup_rows=16))
    blob = json.dumps(
        {"recipe": dataclasses.asdict(rec), "version": TINY_VERSION, "sample": sample},
        sort_keys=True,
    )
    return f"{name}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


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
    name, rec = named_recipe(recipe)
    root = Path(cache_dir) if cache_dir is not None else cache_root()
    key = recipe_key(rec if name == "custom" else name)
    final = root / "tiny" / key
    with _lock(root / "tiny" / f".{key}.lock"):
        if final.exists() and (final / "tiny_recipe.json").exists() and not force:
            return final
        t0 = time.monotonic()
        examples = warmup_examples(rec)
        texts = [chat_text(ex) for ex in examples]
        if rec.generic_corpus:
            texts += generic_texts()
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
