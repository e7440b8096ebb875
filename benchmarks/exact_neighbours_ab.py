"""Time ``exact_neighbours`` of this checkout against another checkout's, alternated in one process.

Usage: ``python benchmarks/exact_neighbours_ab.py OTHER_CHECKOUT [--rows 13400] [--rounds 3]``.
Alternating the two in one process keeps a shared machine's load from favouring either.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1]


def _function_of(checkout: Path):
    source = (checkout / "wisdoms" / "themes" / "fit.py").read_text(encoding="utf-8")
    start, end = source.index("def exact_neighbours("), source.index("#: Above this many passages")
    helpers = source.index("#: Similarities this close") if "#: Similarities this close" in source else start
    namespace: dict = {"np": np, "NDArray": object}
    exec("from __future__ import annotations\n" + source[min(start, helpers):end], namespace)
    return namespace["exact_neighbours"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("other", type=Path)
    parser.add_argument("--rows", type=int, default=13_400)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    x = np.random.default_rng(0).standard_normal((args.rows, 384)).astype("float32")
    functions = {"other": _function_of(args.other), "this": _function_of(HERE)}
    for f in functions.values():
        f(x[:500], 15)
    for _ in range(args.rounds):
        for name, f in functions.items():
            t = time.perf_counter()
            f(x, 15)
            print(name, round(time.perf_counter() - t, 2), flush=True)


if __name__ == "__main__":
    main()
