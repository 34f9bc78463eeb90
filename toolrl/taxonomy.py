"""Why a rollout failed, as one label: the failure taxonomy.

Every completion gets exactly one label from `LABELS` (the web app stores it in a column and
charts the counts per step):

- `correct`: the calls equal the ground truth's (names, keys and values, in any order) in the
  layout it asks for; or, when the ground truth answers, an answer in its layout.
- `format:<category>`: the output is not well formed; `<category>` is the parser's
  (`toolrl.parser.ERRORS`: `format:truncated`, `format:invalid_json`, `format:missing_think`, ...).
- `format:wrong_layout`: well formed and the right decision (called, or answered), but not the
  layout the ground truth asks for, e.g. a `<response>` after the calls it does not have.
- `called_instead_of_answering`: a tool call where the ground truth answers directly.
- `answered_instead_of_calling`: an answer where the ground truth calls a tool.
- `wrong_tool`: the tools called differ from the ground truth's (a wrong name, or a call too
  many or too few: the multiset of names differs).
- `missing_parameter`: the right tools, but a call lacks a parameter the ground truth has.
- `extra_parameter`: the right tools, but a call has a parameter the ground truth does not.
- `wrong_value`: the right tools and parameter names, but a value differs (compared with `==`,
  so `"1"` and `1` differ, as in the reward). Keys beside `name` and `parameters` in a call are
  ignored, as the reward ignores them.
- `bad_ground_truth`: the ground truth's own tool block does not parse (a data problem).

Precedence, when a completion has several problems, follows the order a user fixes them in,
which is also the order the reward's parts depend on each other: the first that applies wins.

1. `bad_ground_truth`; then `correct` for an answer in the layout asked for (so a think-only
   ground truth is judged by its own layout);
2. `format:<category>` (nothing else can be read reliably from a malformed output);
3. `called_instead_of_answering` / `answered_instead_of_calling` (the decision);
4. `format:wrong_layout`;
5. `wrong_tool`;
6. over all calls paired by name: `missing_parameter`, then `extra_parameter` (a renamed
   parameter is missing one and has an extra one: it counts as missing), then `wrong_value`;
7. `correct`.

The label does not depend on the reward configuration (weights, ranges, granularity): it says
what is wrong with the output, not how much reward that costs.

Example::

    >>> gt = '<think> t </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": 1}}\\n</tool_call>'
    >>> classify('<think> a </think>\\n<tool_call>\\n{"name": "A", "parameters": {"x": 2}}\\n</tool_call>', gt)
    'wrong_value'
    >>> classify('<think> a </think>\\n<response> hi </response>', gt)
    'answered_instead_of_calling'
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from toolrl.parser import ERRORS, completion_error, parse_calls
from toolrl.rewards.components import GroundTruth, format_ok, parse_ground_truth
from toolrl.rewards.scoring import as_text

CORRECT = "correct"
FORMAT_PREFIX = "format:"
WRONG_LAYOUT = "format:wrong_layout"
CALLED_INSTEAD_OF_ANSWERING = "called_instead_of_answering"
ANSWERED_INSTEAD_OF_CALLING = "answered_instead_of_calling"
WRONG_TOOL = "wrong_tool"
MISSING_PARAMETER = "missing_parameter"
EXTRA_PARAMETER = "extra_parameter"
WRONG_VALUE = "wrong_value"
BAD_GROUND_TRUTH = "bad_ground_truth"

FORMAT_LABELS = (*(FORMAT_PREFIX + e for e in ERRORS), WRONG_LAYOUT)
LABELS = (
    CORRECT,
    *FORMAT_LABELS,
    CALLED_INSTEAD_OF_ANSWERING,
    ANSWERED_INSTEAD_OF_CALLING,
    WRONG_TOOL,
    MISSING_PARAMETER,
    EXTRA_PARAMETER,
    WRONG_VALUE,
    BAD_GROUND_TRUTH,
)
"""Every label, in the order a chart stacks them."""

# A call pair's problems, worst last: the pair with the worst problem names the rollout.
_PAIR_LABELS = (CORRECT, WRONG_VALUE, EXTRA_PARAMETER, MISSING_PARAMETER)


def is_format_error(label: str) -> bool:
    """Whether a label is one of the `format:*` family (to chart them as one group).

    >>> is_format_error("format:truncated"), is_format_error("wrong_tool")
    (True, False)
    """
    return label.startswith(FORMAT_PREFIX)


def _pair_problem(gold: dict[str, Any], pred: dict[str, Any]) -> int:
    """Index in `_PAIR_LABELS` of what is wrong with `pred` against a same-name `gold` call.

    Only the parameters count: a key beside `name` and `parameters` is ignored, as the reward
    ignores it.
    """
    g, p = gold["parameters"], pred["parameters"]
    if g.keys() - p.keys():
        return 3
    if p.keys() - g.keys():
        return 2
    return 1 if any(p[k] != v for k, v in g.items()) else 0


def compare_calls(pred: list[dict[str, Any]], gold: list[dict[str, Any]]) -> str:
    """The label of predicted calls against ground-truth calls (both parsed).

    Calls are paired by name; among same-name calls each ground-truth call (in order) takes the
    unused prediction with the least problem.

    >>> compare_calls([{"name": "A", "parameters": {}}], [{"name": "B", "parameters": {}}])
    'wrong_tool'
    """
    if Counter(c["name"] for c in pred) != Counter(c["name"] for c in gold):
        return WRONG_TOOL
    unused = list(pred)
    worst = 0
    for g in gold:
        options = [(_pair_problem(g, p), i) for i, p in enumerate(unused) if p["name"] == g["name"]]
        problem, i = min(options)
        del unused[i]
        worst = max(worst, problem)
    return _PAIR_LABELS[worst]


def classify_parsed(
    text: str,
    calls: list[dict[str, Any]] | None,
    call_error: str | None,
    gt: GroundTruth,
    layout_ok: bool,
) -> str:
    """The label of a (stripped) completion whose calls the caller already read:
    `calls, call_error = toolrl.parser.parse_calls(text)`, and `layout_ok` =
    `toolrl.rewards.components.format_ok(text, gt.kind)` (a breakdown's `details["format_ok"]`).
    Reads the calls no second time; the structure is checked only when the label depends on it.
    """
    if gt.has_calls and gt.calls is None:
        return BAD_GROUND_TRUTH
    if not gt.has_calls and layout_ok:
        return CORRECT
    error = completion_error(text, call_error)
    if error is not None:
        return FORMAT_PREFIX + error
    called = calls is not None
    if called != gt.has_calls:
        return CALLED_INSTEAD_OF_ANSWERING if called else ANSWERED_INSTEAD_OF_CALLING
    if not layout_ok:
        return WRONG_LAYOUT
    return compare_calls(calls, gt.calls)  # type: ignore[arg-type]


def classify(completion: Any, ground_truth: Any) -> str:
    """The label of one completion (text, or TRL's conversational form) against a ground truth
    (ToolRL text, a `Target`, or a parsed `GroundTruth`).

    >>> classify("<think> a </think>\\n<response> hi </response>", "<think> t </think>\\n<response> r </response>")
    'correct'
    """
    text = as_text(completion)
    gt = parse_ground_truth(ground_truth)
    calls, call_error = parse_calls(text)
    return classify_parsed(text, calls, call_error, gt, format_ok(text, gt.kind))
