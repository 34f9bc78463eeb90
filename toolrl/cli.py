"""The `toolrl` command line.

Each subcommand lives in `toolrl.commands.<name>` with `add_arguments(parser)` and `run(args) -> int`,
and is imported only when chosen, so `toolrl --help` and `toolrl validate` never import torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module under toolrl.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("validate", "check a dataset file and print a summary"),
    "score": ("score", "score completions against a dataset with a reward configuration"),
    "reward-preview": ("reward_preview", "print a reward configuration's schedule as a table"),
    "reward-explain": ("reward_explain", "show how the reward scores one completion"),
    "train": ("train", "train a model with GRPO and the ToolRL reward"),
    "demo": ("demo", "build the tiny local model and show it learn the ToolRL format"),
    "evaluate": ("evaluate", "evaluate a model, or score predictions, on a suite"),
}


def _load(module: str):
    try:
        return importlib.import_module(f"toolrl.commands.{module}")
    except ModuleNotFoundError as exc:
        if exc.name == f"toolrl.commands.{module}":
            return None  # not built yet
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toolrl",
        description="ToolRL: train language models to call tools with reinforcement learning.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        sub_parser.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    # Parse the command name first, then let the command add its own arguments.
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
    name = argv[0]
    module_name, help_text = COMMANDS[name]
    module = _load(module_name)
    if module is None:
        print(f"toolrl {name}: not available in this version", file=sys.stderr)
        return 2
    sub = argparse.ArgumentParser(prog=f"toolrl {name}", description=help_text)
    module.add_arguments(sub)
    args = sub.parse_args(argv[1:])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
