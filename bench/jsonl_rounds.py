"""The JSON lines of a benchmark's round files, for the *_compare_table.py scripts.

A round file is named r<ROUND>.<anything> (the round is 0 when the name has
no such prefix) and holds the stdout of one timing run: JSON lines, among
other lines that are ignored (logs, blank lines, text that does not parse).

    from jsonl_rounds import read_round_objects
    for obj in read_round_objects(paths):
        ...  # a dict, with obj["round"] set

Import it from a script in bench/: Python puts the script's directory first
on sys.path, so this works from any working directory.
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Iterable, Iterator


def file_round(path: str | pathlib.Path) -> int:
    """N from a file name r<N>.*, else 0."""
    m = re.match(r"r(\d+)\.", pathlib.Path(path).name)
    return int(m.group(1)) if m else 0


def read_objects(path: str | pathlib.Path) -> Iterator[dict]:
    """Every line of the file that is a JSON object, in order; other lines
    (logs, blank lines, text that does not parse) are skipped."""
    for line in pathlib.Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            yield obj


def read_round_objects(paths: Iterable[str | pathlib.Path], *, line_round_wins: bool = True) -> Iterator[dict]:
    """Every JSON object line of the files, in file and line order, with its
    "round": the line's own "round" key when it has one and line_round_wins,
    else the file's round (file_round). Lines that are not a JSON object are
    skipped."""
    for p in paths:
        rnd = file_round(p)
        for obj in read_objects(p):
            if line_round_wins:
                obj.setdefault("round", rnd)
            else:
                obj["round"] = rnd
            yield obj
