"""Encoding time and agreement to torch of the int8 ONNX encoder by how attention is exported (issue 7).

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/onnx_export.py --texts 4000 --agreement 1500 --repeats 2

Exports the installed MiniLM twice with :func:`wisdoms.embed.onnx.export_int8`: attention as torch's fused
scaled-dot-product kernel (``sdpa``, what the exporter wrote before round 8) and as plain operations
(``eager``, which ONNX Runtime fuses into its own attention when it loads the model). Both are quantised the
same way. Texts: the first ``--texts`` distinct answers of ../shared/bench/nhs_fft/phase1_single_label.csv
(``--passages``: the shipped sample's passages). Prints one JSON line per export and repeat (the exports
alternate): seconds to encode the texts after one warm-up call, and the mean and lowest cosine to the torch
model over the first ``--agreement`` texts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from onnx_batch import _texts, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--agreement", type=int, default=1500, help="texts compared with torch (0: skip)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--passages", action="store_true", help="the sample's conversation passages instead")
    args = parser.parse_args()

    from wisdoms.embed import make_embedder
    from wisdoms.embed.onnx import _OnnxRunner, _pooling_config, export_int8
    from wisdoms.embed.sentence_transformer import installed_model_path
    from wisdoms.settings import DEFAULT_MODEL

    path = installed_model_path(DEFAULT_MODEL)
    texts = _texts(args.passages)[: args.texts]
    with tempfile.TemporaryDirectory() as scratch:
        reference = (make_embedder(encoder="torch", cache_dir=scratch).encode(texts[: args.agreement])
                     if args.agreement else None)
        runners = {}
        for attention in ("sdpa", "eager"):
            folder = Path(scratch) / attention
            folder.mkdir()
            export_int8(path, folder, attention=attention)
            shutil.copyfile(path / "tokenizer.json", folder / "tokenizer.json")
            runners[attention] = _OnnxRunner(folder, _pooling_config(path))
            runners[attention].encode(texts[:50])
        for repeat in range(args.repeats):
            for attention, runner in runners.items():
                print(json.dumps(timed(runner.encode, texts, reference, attention=attention, repeat=repeat + 1)),
                      flush=True)


if __name__ == "__main__":
    main()
