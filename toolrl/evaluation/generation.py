"""Completions from a model: transformers (any machine) or vLLM (where installed, on a GPU).

Importing this module loads no torch; `load_generator` imports the backend it is asked for.
Prompts go through the model's own chat template. A prompt longer than the model's context
(minus `max_new_tokens`) keeps its end, as ToolRL's training truncated prompts on the left; how
many were cut is reported (`Generator.stats["truncated_prompts"]`).

Example::

    gen = load_generator("runs/x/checkpoints/checkpoint-30", GenerationOptions(batch_size=8))
    texts = gen.generate([[{"role": "system", ...}, {"role": "user", ...}]])
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from toolrl.evaluation.base import ModelError, Progress

Messages = list[dict[str, str]]
BACKENDS = ("transformers", "vllm")
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")


@dataclass
class GenerationOptions:
    """How completions are generated (greedy unless `temperature` > 0)."""

    max_new_tokens: int = 512
    """Tokens generated per completion at most."""
    batch_size: int = 16
    """Prompts per generation batch (transformers) or per progress update (vLLM)."""
    temperature: float = 0.0
    """0 is greedy decoding; above 0 samples."""
    top_p: float = 1.0
    """Nucleus sampling when sampling."""
    backend: str = "transformers"
    """transformers or vllm."""
    dtype: str = "auto"
    """auto (bfloat16 on a GPU that has it, else float32), float32, bfloat16 or float16."""
    seed: int = 0
    """Seed of the sampling (unused when greedy)."""

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def check_model_path(name: str) -> None:
    """A `ModelError` naming the path and what is missing when `name` cannot be a model.

    Accepted: `tiny[:recipe]`, a model folder (config.json, weights, tokenizer), a LoRA
    checkpoint (adapter_config.json and the adapter weights), or a Hugging Face id `org/name`.

    >>> check_model_path("/no/such/model")
    Traceback (most recent call last):
    ...
    toolrl.evaluation.base.ModelError: /no/such/model: no such folder (expected a model folder, a run checkpoint, a Hugging Face id or tiny[:recipe])
    """
    if name == "tiny" or name.startswith("tiny:"):
        return
    path = Path(name).expanduser()
    if not path.exists():
        if _HUB_ID.fullmatch(name):
            return  # a Hugging Face id; loading says whether it can be fetched
        raise ModelError(
            f"{name}: no such folder (expected a model folder, a run checkpoint, "
            "a Hugging Face id or tiny[:recipe])"
        )
    if not path.is_dir():
        raise ModelError(f"{name}: a file, not a model folder (expected config.json and weights)")
    files = {p.name for p in path.iterdir()}
    if "adapter_config.json" in files:
        if not any(f.startswith("adapter_model.") for f in files):
            raise ModelError(
                f"{name}: adapter_config.json but no adapter weights (adapter_model.safetensors)"
            )
        return
    if "config.json" not in files:
        if "checkpoints" in files:
            raise ModelError(
                f"{name}: a run folder, not a model; pass one of its checkpoints/checkpoint-N"
            )
        raise ModelError(
            f"{name}: no config.json: not a model folder (expected config.json, weights and a tokenizer)"
        )
    if not any(f.endswith((".safetensors", ".bin")) for f in files):
        raise ModelError(
            f"{name}: config.json but no weights (model.safetensors or pytorch_model.bin)"
        )
    if not files & {"tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json"}:
        raise ModelError(f"{name}: no tokenizer (tokenizer.json or tokenizer_config.json)")


def _load_error(name: str, exc: BaseException) -> ModelError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    where = (
        ""
        if Path(name).expanduser().exists()
        else " (not a local folder; tried the Hugging Face hub)"
    )
    return ModelError(f"{name}: cannot load the model{where}: {first}")


def load_generator(model: str, options: GenerationOptions | None = None) -> Generator:
    """A generator for `model` (path, checkpoint, HF id or tiny[:recipe]); `ModelError` if not."""
    options = options or GenerationOptions()
    if options.backend not in BACKENDS:
        raise ModelError(f"backend {options.backend!r}: expected one of {', '.join(BACKENDS)}")
    check_model_path(model)
    if options.backend == "vllm":
        return VllmGenerator(model, options)
    return TransformersGenerator.load(model, options)


class Generator:
    """Turns chat prompts into completions; `stats` says what happened (truncations)."""

    model_name: str = ""
    options: GenerationOptions
    stats: dict[str, Any]

    def generate(self, prompts: list[Messages], progress: Progress | None = None) -> list[str]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"model": self.model_name, **self.options.describe(), **self.stats}


class TransformersGenerator(Generator):
    def __init__(self, model: Any, tokenizer: Any, options: GenerationOptions, name: str = ""):
        self.model, self.tokenizer, self.options = model, tokenizer, options
        self.model_name = name
        self.stats = {"truncated_prompts": 0}

    @classmethod
    def load(cls, name: str, options: GenerationOptions) -> TransformersGenerator:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from toolrl.tiny import resolve_model_path

        cuda = torch.cuda.is_available()
        dtype = options.dtype
        if dtype == "auto":
            dtype = "bfloat16" if cuda and torch.cuda.is_bf16_supported() else "float32"
        try:
            path = resolve_model_path(name)
            tokenizer = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype))
        except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
            raise _load_error(name, exc) from None
        if cuda:
            model = model.to("cuda")
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        return cls(model, tokenizer, options, name)

    def generate(self, prompts: list[Messages], progress: Progress | None = None) -> list[str]:
        return generate_completions(
            self.model, self.tokenizer, prompts, self.options, progress=progress, stats=self.stats
        )


def _context_limit(model: Any, tokenizer: Any, max_new_tokens: int) -> int | None:
    limit = getattr(model.config, "max_position_embeddings", None)
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if tok_limit and tok_limit < 1_000_000:  # transformers' "no limit" is a huge number
        limit = min(limit, tok_limit) if limit else tok_limit
    return max(limit - max_new_tokens, 1) if limit else None


def _stop_ids(model: Any, tokenizer: Any) -> list[int]:
    """The tokenizer's end token plus any the model's generation config names (chat models often
    list both the end-of-turn and end-of-text tokens there)."""
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = configured if isinstance(configured, list) else [configured]
    return sorted({i for i in [tokenizer.eos_token_id, *ids] if i is not None})


def generate_completions(
    model: Any,
    tokenizer: Any,
    prompts: list[Messages],
    options: GenerationOptions | None = None,
    *,
    progress: Progress | None = None,
    stats: dict[str, Any] | None = None,
) -> list[str]:
    """Completions for chat prompts with a loaded transformers model, in the prompts' order.

    Prompts are batched longest first (little padding, and an out-of-memory error comes at
    once, not after an hour), left-padded, and decoded without special tokens.
    """
    import torch

    options = options or GenerationOptions()
    stats = stats if stats is not None else {}
    ids = [
        tokenizer(
            tokenizer.apply_chat_template(m, add_generation_prompt=True, tokenize=False),
            add_special_tokens=False,
        )["input_ids"]
        for m in prompts
    ]
    limit = _context_limit(model, tokenizer, options.max_new_tokens)
    if limit is not None:
        stats["truncated_prompts"] = stats.get("truncated_prompts", 0) + sum(
            len(x) > limit for x in ids
        )
        ids = [x[-limit:] for x in ids]
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    sampling = options.temperature > 0
    extra = {"temperature": options.temperature, "top_p": options.top_p} if sampling else {}
    if sampling:
        torch.manual_seed(options.seed)
    was_training, old_side = model.training, tokenizer.padding_side
    model.eval()
    tokenizer.padding_side = "left"  # decoder-only generation needs the prompt flush right
    device = next(model.parameters()).device
    eos = _stop_ids(model, tokenizer)
    out: list[str] = [""] * len(ids)
    try:
        for start in range(0, len(order), options.batch_size):
            batch = order[start : start + options.batch_size]
            enc = tokenizer.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
            enc = {k: v.to(device) for k, v in enc.items()}
            with torch.no_grad():
                gen = model.generate(
                    **enc,
                    max_new_tokens=options.max_new_tokens,
                    do_sample=sampling,
                    pad_token_id=tokenizer.pad_token_id,
                    eos_token_id=eos,
                    **extra,
                )
            texts = tokenizer.batch_decode(
                gen[:, enc["input_ids"].shape[1] :], skip_special_tokens=True
            )
            for i, text in zip(batch, texts, strict=True):
                out[i] = text
            if progress:
                progress(min(start + options.batch_size, len(order)), len(order))
    finally:
        tokenizer.padding_side = old_side
        if was_training:
            model.train()
    return out


class VllmGenerator(Generator):
    """vLLM offline inference (a GPU and the `gpu` extra). Not run on the project's CPU machine:
    vLLM is not installed there, so only the message for a missing vLLM is tested."""

    def __init__(self, name: str, options: GenerationOptions):
        try:
            import vllm
        except ImportError:
            raise ModelError(
                "--backend vllm needs the vllm package, which is not installed here "
                "(pip install 'toolrl[gpu]' on a GPU machine); use --backend transformers"
            ) from None
        from toolrl.tiny import resolve_model_path

        self.model_name, self.options = name, options
        self.stats = {"truncated_prompts": 0}
        path = resolve_model_path(name)
        adapter = Path(path) / "adapter_config.json"
        self.lora = None
        kwargs: dict[str, Any] = {"dtype": options.dtype, "seed": options.seed}
        try:
            if adapter.is_file():  # a LoRA checkpoint: the base model plus the adapter
                from vllm.lora.request import LoRARequest

                base = json.loads(adapter.read_text())["base_model_name_or_path"]
                self.llm = vllm.LLM(model=base, enable_lora=True, **kwargs)
                self.lora = LoRARequest("checkpoint", 1, str(path))
            else:
                self.llm = vllm.LLM(model=str(path), **kwargs)
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise _load_error(name, exc) from None
        self.params = vllm.SamplingParams(
            temperature=options.temperature,
            top_p=options.top_p if options.temperature > 0 else 1.0,
            max_tokens=options.max_new_tokens,
            seed=options.seed,
        )

    def generate(self, prompts: list[Messages], progress: Progress | None = None) -> list[str]:
        out: list[str] = []
        # vLLM schedules a whole chunk at once; chunks only give the progress bar something to show.
        step = max(self.options.batch_size, 256)
        for start in range(0, len(prompts), step):
            chunk = prompts[start : start + step]
            results = self.llm.chat(chunk, self.params, use_tqdm=False, lora_request=self.lora)
            out += [r.outputs[0].text for r in results]
            if progress:
                progress(len(out), len(prompts))
        return out
