"""How many passages and themes of the shipped sample get a code, with and without self-training.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/sample_coverage.py

Runs the pipeline on ``transcripts/`` (not written), then fits the codebook matcher twice: on the
codebook's descriptors only, and self-trained on the passages (what ``wisdoms run`` does). Prints, per
theme, its codes and the codes most often assigned to its passages, for reading by eye: the sample has
no gold labels. Writes ``benchmarks/results/sample_coverage.json``.
"""

from __future__ import annotations

import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import wisdoms  # noqa: E402
from wisdoms._files import write_text  # noqa: E402
from wisdoms.codebook import CodeMatcher  # noqa: E402
from wisdoms.embed import EmbeddingCache, embed_texts, make_embedder  # noqa: E402
from wisdoms.settings import Settings  # noqa: E402


def main() -> None:
    settings = Settings()
    analysis = wisdoms.run(ROOT / "transcripts", codebook=ROOT / "codebook" / "codebook.yaml", write=False,
                           settings=settings)
    passages, vectors, themes = list(analysis.passages), analysis.embeddings, list(analysis.themes)
    embedder = make_embedder(settings.model, encoder=settings.encoder, cache_dir=settings.resolved_cache_dir())
    cache = EmbeddingCache(settings.resolved_cache_dir())
    names = {c.id: c.name for c in analysis.codebook.codes}
    row = {p.id: i for i, p in enumerate(passages)}
    centres = {}
    for t in themes:
        centre = vectors[[row[p] for p in t.passage_ids]].mean(axis=0)
        centres[t.id] = centre / np.linalg.norm(centre)
    results = {}
    for label, corpus in (("descriptors only", None), ("self-trained on the passages", vectors)):
        matcher = CodeMatcher(analysis.codebook, settings).fit(lambda texts: embed_texts(texts, embedder, cache)[0],
                                                              corpus=corpus)
        matches = matcher.match_passages(passages, vectors)
        scores, _ = matcher.score(vectors, [p.analysis_text for p in passages])
        theme_codes = matcher.match_themes(themes, matches, {p.id: scores[i] for i, p in enumerate(passages)}, centres)
        coded = {m.target_id for m in matches if m.assigned}
        rows = []
        for t in themes:
            members = set(t.passage_ids)
            top = collections.Counter(m.code for m in matches if m.assigned and m.target_id in members)
            rows.append({"theme": t.id, "label": t.label, "passages": len(members),
                         "codes": [[names[m.code], m.score] for m in theme_codes.get(t.id, ())],
                         "most_assigned": top.most_common(3)})
        results[label] = {"passages_coded": len(coded), "passages": len(passages),
                          "themes_coded": sum(1 for t in themes if theme_codes.get(t.id)), "themes": len(themes),
                          "by_theme": rows}
        print(f"== {label}: {len(coded)}/{len(passages)} passages coded; "
              f"{results[label]['themes_coded']}/{len(themes)} themes with a code")
        for r in rows:
            print(f"  theme {r['theme']:>2} [{r['label'][:40]}] -> {r['codes']}  most assigned: {r['most_assigned']}")
    write_text(ROOT / "benchmarks" / "results" / "sample_coverage.json", json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
