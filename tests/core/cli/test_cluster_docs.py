"""docs/cluster.md's scripts (and the README's commands) use only flags that exist: every `main.py COMMAND --flag` against
Loupe's own parser and every `torchrun --flag` against torch's, so a renamed flag cannot
leave the cluster scripts quietly broken."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLUSTER_DOC = ROOT / "docs" / "cluster.md"


def _commands(markdown: str) -> list[str]:
    """Shell lines of the fenced blocks (continuations joined) and the inline code spans."""
    lines: list[str] = []
    for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", markdown, flags=re.S):
        lines += block.replace("\\\n", " ").splitlines()
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    lines += re.findall(r"`([^`\n]+)`", prose)
    return [line for line in lines if not line.lstrip().startswith("#")]


def _words(line: str) -> list[str]:
    """shlex words, with quoted commands (sbatch --wrap "...") opened up too."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:  # an unbalanced quote in prose: split on spaces
        words = line.split()
    flat: list[str] = []
    for word in words:
        flat += _words(word) if " " in word else [word]
    return flat


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def _loupe_flags() -> dict[str, set[str]]:
    from core.cli.commands import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: _option_strings(p) for name, p in sub.choices.items()}


def unknown_flags(markdown: str) -> list[str]:
    """'COMMAND --flag' for each flag no parser knows, in the order they appear."""
    from torch.distributed.run import get_args_parser

    loupe = _loupe_flags()
    torchrun = _option_strings(get_args_parser())
    unknown: list[str] = []
    for line in _commands(markdown):
        words = _words(line)
        known: set[str] | None = None
        name = ""
        for i, word in enumerate(words):
            if word.endswith("main.py") and i + 1 < len(words):
                name = words[i + 1]
                if not re.fullmatch(r"[a-z][a-z-]*", name):  # main.py --self-test, a diagram
                    known = None
                    continue
                if name not in loupe:
                    unknown.append(f"main.py {name}")
                known = loupe.get(name, set())
            elif word.endswith("torchrun"):
                name, known = "torchrun", torchrun
            elif known is not None and word.startswith("--"):
                flag = word.split("=", 1)[0]
                if flag not in known:
                    unknown.append(f"{name} {flag}")
    return unknown


def test_every_flag_in_the_cluster_scripts_exists():
    text = CLUSTER_DOC.read_text(encoding="utf-8")
    assert "main.py classify" in text and "main.py merge" in text and "torchrun" in text
    assert unknown_flags(text) == []


def test_every_flag_in_the_readme_commands_exists():
    assert unknown_flags((ROOT / "README.md").read_text(encoding="utf-8")) == []


def test_the_check_notices_a_flag_that_does_not_exist():
    doc = (
        "```bash\nsrun torchrun --nnodes 2 --rdzv-backnd c10d \\\n"
        "    main.py train D --out R --epoch 3\n```\n"
        'and `sbatch --wrap "python main.py merge p-*.csv --output all.csv"`, `main.py sortt X`'
    )
    assert unknown_flags(doc) == [
        "torchrun --rdzv-backnd",
        "train --epoch",
        "merge --output",
        "main.py sortt",
    ]
