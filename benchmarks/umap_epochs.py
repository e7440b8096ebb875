"""Theme quality and fit time for UMAP's number of epochs (or another UMAP setting): a free speed-up? (issue 7)

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/umap_epochs.py --size 10000 --epochs default,100,150 --seeds 42,1,2
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/umap_epochs.py --param negative_sample_rate --epochs default,3

For each seed, the corpus of ``speed.py`` (survey answers + sample passages) is embedded through the
benchmark's cache and themed with :func:`wisdoms.themes.find_themes`, once per epoch count, in one process
(the first fit of a process also pays for importing BERTopic). Prints one JSON line per fit: seed, epochs,
seconds, NMI/ARI against the human categories. ``--param`` names the UMAP attribute that ``--epochs`` sets
(default ``n_epochs``; ``n_neighbors`` also sets how many exact neighbours are found). Results are in
BENCHMARKS.md (rounds 7 and 8).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--epochs", default="default,100,150", help="comma list; 'default' is wisdoms' own choice")
    parser.add_argument("--param", default="n_epochs", help="the UMAP setting --epochs gives values for")
    parser.add_argument("--seeds", default="42,1,2")
    parser.add_argument("--work", default="/tmp/wisdoms-speed", help="scratch folder (embedding cache)")
    args = parser.parse_args()

    from wisdoms.embed import EmbeddingCache, embed_texts, make_embedder
    from wisdoms.settings import Settings
    from wisdoms.themes import analysable
    from wisdoms.themes import fit as theme_fit

    cache = Path(args.work) / f"cache-{args.size}"
    epochs = {"e": None}
    plain = theme_fit._reducer

    def reducer(kind: str, n: int, settings: Settings):
        made = plain(kind, n, settings)
        if kind == "umap" and epochs["e"] is not None:
            setattr(made, args.param, epochs["e"])
        return made

    theme_fit._reducer = reducer
    answers = frozenset({"fft.csv"})
    for seed in (int(s) for s in args.seeds.split(",")):
        passages, labels, _how = speed._corpus(args.size, seed, with_held_back=False)
        settings = Settings(cache_dir=str(cache), seed=seed)
        embedder = make_embedder(settings.model, encoder="auto", cache_dir=cache)
        store = EmbeddingCache(cache)
        vectors, _stats = embed_texts([p.analysis_text for p in passages], embedder, store)
        keep = analysable(passages, settings, answers=answers)
        for value in args.epochs.split(","):
            epochs["e"] = None if value == "default" else int(value)
            started = time.perf_counter()
            result = theme_fit.find_themes([passages[i] for i in keep], vectors[keep], settings=settings,
                                           embed=lambda t: embed_texts(t, embedder, store)[0], answers=answers)
            seconds = time.perf_counter() - started
            topics = [result.assignments.get(p.id, -1) for p in passages]
            print(json.dumps({"seed": seed, args.param: value, "seconds": round(seconds, 1),
                              **speed._scores(labels, topics)}), flush=True)


if __name__ == "__main__":
    main()
