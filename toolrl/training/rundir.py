"""The run folder: creating it, finding its newest checkpoint, and its error file.

`DIR/error.txt` is the training entry point's contract with whoever runs it (the platform's
supervisor shows it as the run's error): when a run fails, it holds one line, the message a user
should see. A new attempt removes an old one first.

Example::

    >>> import tempfile
    >>> run = make_run_dir(tempfile.mkdtemp() + "/run")
    >>> write_error(run, "data.train: no training rows")
    >>> (run / ERROR_FILE).read_text()
    'data.train: no training rows\\n'
"""

from __future__ import annotations

from pathlib import Path

from toolrl.errors import UserError

ERROR_FILE = "error.txt"


def make_run_dir(path: str | Path) -> Path:
    """Create the run folder (and its parents) or raise `UserError` saying why it cannot be.

    >>> make_run_dir("/proc/toolrl-run")
    Traceback (most recent call last):
    ...
    toolrl.errors.UserError: /proc/toolrl-run: cannot create the run folder (No such file or directory)
    """
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(f"{out}: cannot create the run folder (a file has that name)") from None
    except OSError as exc:
        raise UserError(f"{out}: cannot create the run folder ({exc.strerror or exc})") from None
    return out


def latest_checkpoint(run_dir: str | Path) -> str | None:
    """The newest `checkpoints/checkpoint-N` of a run folder, or None.

    >>> latest_checkpoint("/nonexistent") is None
    True
    """
    root = Path(run_dir) / "checkpoints"
    if not root.is_dir():
        return None
    steps = [
        (int(p.name.rpartition("-")[2]), p)
        for p in root.glob("checkpoint-*")
        if p.is_dir() and p.name.rpartition("-")[2].isdigit()
    ]
    return str(max(steps)[1]) if steps else None


def write_error(run_dir: str | Path, line: str) -> None:
    """Write the one line a user should see about a failed run to `DIR/error.txt`."""
    (Path(run_dir) / ERROR_FILE).write_text(" ".join(line.split("\n")) + "\n", encoding="utf-8")


def clear_error(run_dir: str | Path) -> None:
    """Remove the error of an earlier attempt (a resumed run starts clean)."""
    (Path(run_dir) / ERROR_FILE).unlink(missing_ok=True)
