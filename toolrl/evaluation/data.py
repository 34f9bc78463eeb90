"""Where the benchmark files are: the folder the user names, or `TOOLRL_EVAL_DATA`.

The documented layout is the project's shared data folder (`data/` in the founders' share):

    DATA/toolrl/dataset/rlla_4k/test.parquet              toolrl-validation
    DATA/toolrl/benchmarks/API-Bank/level-{1,2,3}-api_processed.json   api-bank
    DATA/bfcl/BFCL_v4_<category>.json + possible_answer/  bfcl

A suite also accepts its own folder (or file) directly, so a user with only the BFCL files can
pass `--data path/to/bfcl`. Nothing here is read from `../shared` unless the user points at it.

Example::

    >>> import tempfile
    >>> locate(tempfile.mkdtemp(), ["bfcl", "."], lambda p: False, "BFCL files")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolrl.evaluation.base.EvalDataError: no BFCL files in /... (looked in /.../bfcl and /...)...
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from toolrl.evaluation.base import EvalDataError

ENV_VAR = "TOOLRL_EVAL_DATA"
HINT = (
    f"pass --data DIR or set {ENV_VAR}; the documented source is the project's shared data "
    "folder (data/ holding toolrl/ and bfcl/)"
)


def data_root(data_dir: str | Path | None) -> Path:
    """The folder given, else `$TOOLRL_EVAL_DATA`; a clear error when neither is set."""
    if data_dir is None or str(data_dir) == "":
        data_dir = os.environ.get(ENV_VAR) or None
    if data_dir is None:
        raise EvalDataError(f"no evaluation data folder: {HINT}")
    return Path(data_dir).expanduser()


def locate(
    root: str | Path, candidates: list[str], fits: Callable[[Path], bool], what: str
) -> Path:
    """The first of `root/<candidate>` that `fits`, or an error naming every place looked at."""
    root = Path(root)
    if not root.exists():
        raise EvalDataError(f"{root}: no such file or folder (expected {what}); {HINT}")
    tried = []
    for rel in candidates:
        path = root if rel == "." else root / rel
        tried.append(str(path))
        if path.exists() and fits(path):
            return path
    raise EvalDataError(f"no {what} in {root} (looked in {' and '.join(tried)}); {HINT}")


def read_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every non-blank line; an unreadable line is an EvalDataError."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise EvalDataError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise EvalDataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line)
        except ValueError as exc:
            raise EvalDataError(f"{path}:{n}: not JSON ({exc})") from None


def read_json(path: Path) -> Any:
    """A whole JSON document; errors name the file and line."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise EvalDataError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise EvalDataError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from None
    except OSError as exc:
        raise EvalDataError(f"{path}: cannot read ({exc.strerror or exc})") from None
