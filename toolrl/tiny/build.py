"""Building the tiny model: a byte-level BPE tokenizer, a small Qwen2 model, a supervised warm-up.

Tokenizer recipe (cpu-notes §2): Qwen2's normalizer and split regex, so that `AutoTokenizer`
(which maps `qwen2` to `Qwen2Tokenizer` and rebuilds those pieces from its own defaults) reloads
it unchanged; the ToolRL tags are added as *non-special* tokens so that decoding with
`skip_special_tokens=True` keeps them. torch, tokenizers and transformers are imported inside
the functions: importing this module stays light.

Example::

    tokenizer = train_tokenizer(texts, vocab_size=1024)
    model = build_model(tokenizer, RECIPES["fast"])
    report = warm_up(model, tokenizer, warmup_examples(RECIPES["fast"]), RECIPES["fast"])
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Iterator
from typing import Any

from toolrl.tiny.recipe import TinyRecipe

log = logging.getLogger(__name__)

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
