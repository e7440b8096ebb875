"""The int8 ONNX encoder: built once, offline, from the installed weights; run by ``onnxruntime``.

The only module that imports ``onnxruntime``. A build lives in ``<cache>/onnx/<fingerprint>/`` and is
checked against torch on :data:`AGREEMENT_PROBES` when built; it is used only if the mean cosine
agreement is at least :data:`MIN_AGREEMENT`. It has its own model id and fingerprint, so its vectors
never mix with torch's in the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import ModelUnavailableError
from ..settings import DEFAULT_MODEL, default_cache_dir
from .base import Embedder, Progress
from .sentence_transformer import SentenceTransformerEmbedder, installed_model_path, model_fingerprint

log = logging.getLogger(__name__)


#: Mean cosine to torch below which an ONNX build is refused (torch is used instead).
MIN_AGREEMENT = 0.98


#: Bumped whenever the export or quantisation recipe changes, so old builds are not reused.
ONNX_RECIPE = "int8-dynamic-perchannel-eager-v2"


#: Fixed sentences an ONNX build is checked on: spoken, written, short, long, odd characters.
AGREEMENT_PROBES = (
    "I waited eleven weeks for a call back and nobody ever rang.",
    "The nurse on the ward was kind and explained everything to me.",
    "Yeah.",
    "When I got out there was no housing sorted, so I ended up sofa surfing at my cousin's.",
    "My key worker helped me fill in the forms for universal credit.",
    "Parking at the hospital is a nightmare and it costs a fortune.",
    "I felt like a number, not a person, the whole time I was in there.",
    "Staff were rushed off their feet but still made time to talk.",
    "Nothing could be improved, thank you.",
    "The letters never arrived and I missed my appointment because of it.",
    "Being homeless you lose everything, your ID, your phone, your dignity.",
    "Probation kept changing my officer so I had to tell my story again and again.",
    "The GP wouldn't listen [pause] I kept saying something was wrong.",
    "It was the peer mentor who'd been through it himself that actually got through to me.",
    "Temperature in theatre a little low.",
    "Waiting room was clean, comfortable and there was water available.",
    "I don't know, it's hard to say really, um, it was alright I suppose.",
    "They discharged me at 2am with nowhere to go and no medication.",
    "More staff please!!! The wait was 6 hours in A&E.",
    "Online booking would make it much easier for people who work shifts.",
    "My mental health got worse in the hostel because of the noise and the drugs.",
    "Everyone was friendly and professional from reception to the consultant.",
    "Food was cold and there wasn't a vegetarian option.",
    "Café staff were lovely — proper cup of tea.",
    "I'd like to be asked what I need instead of being told what I'm getting.",
    "Court was terrifying; no one explained what was happening or what the words meant.",
    "Continuity of care matters: seeing the same midwife each time made all the difference.",
    "The translator didn't turn up so my son had to interpret for me.",
    "Long waiting times on the phone line, I gave up after an hour.",
    "Support with benefits, housing and debt all in one place would have saved me months.",
    " ".join(["Every time I try to explain my situation, I'm passed to another department"] * 6),
    "ok",
)


def onnx_build_dir(model: str = DEFAULT_MODEL, cache_dir: str | Path | None = None) -> Path:
    """Folder of the int8 ONNX build of ``model`` inside the cache (it may not exist yet).

    Raises:
        ModelUnavailableError: The model is not installed locally.
    """
    base = model_fingerprint(installed_model_path(model))
    return Path(cache_dir or default_cache_dir()) / "onnx" / f"{base}-{ONNX_RECIPE}"


@dataclass(frozen=True)
class OnnxBuild:
    """An int8 ONNX build on disk and how well it agrees with torch.

    Attributes:
        folder: Holds ``model.onnx``, ``tokenizer.json`` and ``build.json``.
        fingerprint: Hash of the quantised model file; part of every cache key.
        mean_cosine: Mean cosine to torch's vectors over :data:`AGREEMENT_PROBES`.
        min_cosine: Worst cosine over the probes.
    """

    folder: Path
    fingerprint: str
    mean_cosine: float
    min_cosine: float

    @property
    def agrees(self) -> bool:
        """Whether the build is close enough to torch to be used."""
        return self.mean_cosine >= MIN_AGREEMENT

    @classmethod
    def load(cls, folder: Path) -> OnnxBuild | None:
        """The build in ``folder``, or ``None`` if there is none (or it is incomplete)."""
        meta_path = folder / "build.json"
        if not (meta_path.is_file() and (folder / "model.onnx").is_file() and (folder / "tokenizer.json").is_file()):
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            return cls(folder, str(meta["fingerprint"]), float(meta["mean_cosine"]), float(meta["min_cosine"]))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable ONNX build %s: %s", meta_path, exc)
            return None


_BUILD_LOCK = ".lock"


def _hold(work: Path) -> int:
    """Lock a build folder for as long as this process builds in it (the lock dies with the process)."""
    import fcntl

    fd = os.open(work / _BUILD_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def remove_stale_builds(folder: Path) -> list[Path]:
    """Remove ``.build-*`` folders that no running build holds: a build killed part-way (87 MB each)."""
    import fcntl

    removed = []
    for work in folder.glob(".build-*"):
        lock = work / _BUILD_LOCK
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:
            # killed before it took the lock; or a build that has not taken it yet: leave the young ones
            fd = None
            try:
                if time.time() - work.stat().st_mtime < 60:
                    continue
            except OSError:
                continue
        except OSError:
            continue
        try:
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # another process is building in it now
        finally:
            if fd is not None:
                os.close(fd)
        shutil.rmtree(work, ignore_errors=True)
        removed.append(work)
        log.info("removed %s, left by an ONNX build that was stopped", work)
    return removed


def build_onnx(model: str = DEFAULT_MODEL, cache_dir: str | Path | None = None, *, force: bool = False) -> OnnxBuild:
    """Export ``model`` to ONNX, quantise it to int8 and check it against torch; once per cache.

    Everything runs offline from the installed weights (``torch.onnx`` export, then
    ``onnxruntime.quantization.quantize_dynamic``). The folder appears whole or not at all.

    Raises:
        ModelUnavailableError: The model is not installed, or ``onnx``/``onnxruntime`` are missing.
    """
    target = onnx_build_dir(model, cache_dir)
    existing = None if force else OnnxBuild.load(target)
    if existing is not None:
        return existing
    try:
        import onnx  # noqa: F401  (needed by the exporter and the quantiser)
        import onnxruntime
        import onnxruntime.quantization
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ModelUnavailableError(
            f"building the ONNX encoder needs {exc.name}",
            hint="pip install onnx onnxruntime, or set encoder: torch",
        ) from exc
    path = installed_model_path(model)
    log.info("building the int8 ONNX encoder for %s in %s (once)", model, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_builds(target.parent)
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    held = _hold(work)
    try:
        export_int8(path, work)
        shutil.copyfile(path / "tokenizer.json", work / "tokenizer.json")
        pooling = _pooling_config(path)
        fingerprint = hashlib.sha256((work / "model.onnx").read_bytes()).hexdigest()[:16]
        onnx_vectors = _OnnxRunner(work, pooling).encode(list(AGREEMENT_PROBES))
        torch_vectors = SentenceTransformerEmbedder(model).encode(list(AGREEMENT_PROBES))
        cosines = np.sum(onnx_vectors * torch_vectors, axis=1)
        meta = {
            "model": model, "base_fingerprint": model_fingerprint(path), "recipe": ONNX_RECIPE,
            "fingerprint": fingerprint, "pooling": pooling, "probes": len(AGREEMENT_PROBES),
            "mean_cosine": round(float(cosines.mean()), 5), "min_cosine": round(float(cosines.min()), 5),
            "onnxruntime": onnxruntime.__version__, "torch": torch.__version__,
        }
        (work / "build.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if force and target.exists():
            shutil.rmtree(target)
        (work / _BUILD_LOCK).unlink()  # the lock holds on the open file until the build ends
        try:
            os.rename(work, target)
        except OSError:  # another process finished first: use its build
            shutil.rmtree(work, ignore_errors=True)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
        os.close(held)
    build = OnnxBuild.load(target)
    if build is None:  # pragma: no cover - rename succeeded or another build exists
        raise ModelUnavailableError(f"the ONNX build in {target} is incomplete", hint="delete the folder and re-run")
    log.info("ONNX encoder built: mean cosine to torch %.4f (min %.4f)", build.mean_cosine, build.min_cosine)
    return build


def export_int8(path: Path, folder: Path, *, attention: str = "eager") -> None:
    """Export the transformer in ``path`` to ONNX and quantise it to int8: ``folder/model.onnx``.

    Args:
        path: An installed sentence-transformers model folder.
        folder: Where ``model.onnx`` is written (it must exist).
        attention: How attention is written into the graph: ``eager`` (plain operations, which ONNX Runtime
            fuses into its own attention when it loads the model: ~22% faster on 2 cores, 4,000 survey answers
            5.6 s -> 4.4 s, with the same agreement to torch; ``benchmarks/onnx_export.py``) or ``sdpa``
            (torch's fused kernel, exported as separate operations ONNX Runtime does not fuse).
    """
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    # transformers draws a "Loading weights" bar of its own; wisdoms reports its steps itself
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        transformer = AutoModel.from_pretrained(str(path), local_files_only=True, attn_implementation=attention).eval()
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    names = encoder_inputs(transformer)
    wrapper = _HiddenStates(transformer, names)
    ids = torch.ones((2, 16), dtype=torch.long)
    # The exporter warns that the attention mask's padding check is traced as a constant and that an index
    # would break with negative values: an encoder's mask always spans its input and holds no negative index.
    # The build's agreement check (texts of many lengths, padded in batches) is what guards the result.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message="Exporting aten::index operator", category=UserWarning)
        torch.onnx.export(
            wrapper, tuple(torch.zeros_like(ids) if n == "token_type_ids" else ids for n in names),  # type: ignore[arg-type]
            str(folder / "float.onnx"),
            input_names=names, output_names=["hidden"], opset_version=17, dynamo=False,
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "hidden"]},
        )
    # Per-channel scales keep the int8 model within ~0.99 cosine of torch (per-tensor: ~0.95). The quantiser's
    # advice to pre-process (shape inference for static quantisation) does not apply to dynamic quantisation.
    advice = _DropMessage("pre-processing before quantization")
    logging.getLogger().addFilter(advice)
    try:
        quantize_dynamic(str(folder / "float.onnx"), str(folder / "model.onnx"), weight_type=QuantType.QInt8,
                         per_channel=True)
    finally:
        logging.getLogger().removeFilter(advice)
    (folder / "float.onnx").unlink()


class _DropMessage(logging.Filter):
    """Drops log records whose message contains ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


#: The inputs an encoder graph may declare, all of which the runner can make from a tokenised batch.
ENCODER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def encoder_inputs(transformer) -> list[str]:  # noqa: ANN001 (a transformers model)
    """The inputs of :data:`ENCODER_INPUTS` that ``transformer``'s ``forward`` takes: MPNet's takes no
    ``token_type_ids``, BERT's and XLM-R's do."""
    import inspect

    accepted = inspect.signature(transformer.forward).parameters
    return [name for name in ENCODER_INPUTS if name in accepted]


class _HiddenStates:
    """Wraps a transformers model so the export has positional inputs (``names``) and one output."""

    def __new__(cls, transformer, names: Sequence[str]):  # noqa: ANN001, ANN204
        import torch

        class Wrapper(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.transformer = transformer

            def forward(self, *inputs):  # noqa: ANN002, ANN202
                return self.transformer(**dict(zip(names, inputs))).last_hidden_state

        return Wrapper().eval()


def _pooling_config(path: Path) -> dict[str, object]:
    """Pooling mode, normalisation and maximum length from the sentence-transformers folder.

    Raises:
        ModelUnavailableError: The model pools in a way the ONNX encoder does not reproduce.
    """
    modules = json.loads((path / "modules.json").read_text(encoding="utf-8")) if (path / "modules.json").is_file() else []
    pooling_dir = next((m["path"] for m in modules if m["type"].endswith("Pooling")), "1_Pooling")
    config = json.loads((path / pooling_dir / "config.json").read_text(encoding="utf-8"))
    modes = [k for k, v in config.items() if k.startswith("pooling_mode_") and v]
    if modes not in (["pooling_mode_mean_tokens"], ["pooling_mode_cls_token"]):
        raise ModelUnavailableError(
            f"the ONNX encoder supports mean or CLS pooling, not {modes} in {path / pooling_dir}",
            hint="set encoder: torch",
        )
    bert = path / "sentence_bert_config.json"
    max_length = json.loads(bert.read_text(encoding="utf-8")).get("max_seq_length", 256) if bert.is_file() else 256
    return {
        "mode": "mean" if modes == ["pooling_mode_mean_tokens"] else "cls",
        "normalize": any(m["type"].endswith("Normalize") for m in modules),
        "max_length": int(max_length),
    }


#: Most rows x width^2 (tokens) in one ONNX run: 64 texts of 128 tokens; at 256 tokens, 16 texts.
ATTENTION_BUDGET = 64 * 128 * 128

#: Texts per ONNX run. Measured on 2 cores (4,000 texts, length-sorted batches): 16 encoded survey answers in
#: 4.9 s against 6.3 s at 64 (8: 4.9 s, 128: 8.0 s) and conversation passages in 1.7 s against 2.0 s, with the
#: same agreement to torch (mean cosine 0.9902 at 16, 0.9899 at 64, over 1,500 answers). The int8 model
#: quantises each run's activations with one scale, so a text's vector moves slightly with its batch
#: (mean cosine 0.989 between batch sizes 16 and 64); a cache may hold vectors from either.
BATCH_SIZE = 16


class _OnnxRunner:
    """Tokenise, run the ONNX graph, pool and normalise: the sentence-transformers recipe."""

    def __init__(self, folder: Path, pooling: dict[str, object], *, batch_size: int = BATCH_SIZE, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.pooling = pooling
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(str(pooling["max_length"])))
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        # Batches differ in width, so a growing arena kept every shape's buffers: off, peak memory
        # stays flat at 50k+ texts for the same vectors (see BENCHMARKS.md, "Speed at every size").
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        # Feed only what the graph declares: an MPNet or XLM-R export has no token_type_ids, and onnxruntime
        # refuses an input the graph does not declare.
        self.inputs = [i.name for i in self.session.get_inputs()]
        unknown = [name for name in self.inputs if name not in ENCODER_INPUTS]
        if unknown:
            raise ModelUnavailableError(f"the ONNX graph in {folder} needs inputs {unknown}, which the encoder cannot make",
                                        hint=f"an encoder graph takes some of {', '.join(ENCODER_INPUTS)}; "
                                             "or set encoder: torch")

    def order(self, texts: Sequence[str]) -> list[int]:
        """Indices of ``texts`` shortest first (stable), the order :meth:`encode` batches them in."""
        lengths = [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]
        return sorted(range(len(texts)), key=lengths.__getitem__)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> NDArray[np.float32]:
        encodings = self.tokenizer.encode_batch(list(texts))
        # Batches of similar length waste little work on padding; the order is restored below.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out: NDArray[np.float32] | None = None
        for begin in range(0, len(order), self.batch_size):
            batch = order[begin : begin + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            # Attention memory grows with rows x width^2: a batch of long texts runs in smaller
            # pieces. The split depends only on the batch, so the same batch gives the same vectors.
            step = max(1, min(len(batch), ATTENTION_BUDGET // (width * width)))
            for piece in range(0, len(batch), step):
                out = self._run(encodings, batch[piece : piece + step], width, out, len(texts))
            if progress:
                progress(min(begin + len(batch), len(texts)), len(texts))
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def _run(self, encodings: list, rows: list[int], width: int, out: NDArray[np.float32] | None,
             total: int) -> NDArray[np.float32]:
        """Encode ``rows`` padded to ``width`` into ``out`` (made on first use, ``total`` rows)."""
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            n = len(encodings[i].ids)
            ids[r, :n] = encodings[i].ids
            mask[r, :n] = 1
        made = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {name: made[name] for name in self.inputs})[0]
        if self.pooling["mode"] == "mean":
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        else:
            pooled = hidden[:, 0]
        if self.pooling["normalize"]:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        if out is None:
            out = np.zeros((total, pooled.shape[1]), dtype=np.float32)
        out[rows] = pooled
        return out


class OnnxEmbedder(Embedder):
    """The int8 ONNX build of a model, run by ``onnxruntime`` on CPU.

    Its :attr:`model_id` is the model's plus ``+onnx-int8`` and its :attr:`fingerprint` hashes the
    quantised file, so cached vectors never mix with torch's.

    Args:
        build: A build from :func:`build_onnx`.
        model: The model it was built from.
        batch_size: Texts per run.
        threads: onnxruntime intra-op threads (``None``: one per core).
    """

    def __init__(self, build: OnnxBuild, model: str = DEFAULT_MODEL, *, batch_size: int = BATCH_SIZE, threads: int | None = None) -> None:
        self.build = build
        self.model_id = f"{model}+onnx-{ONNX_RECIPE}"
        self.fingerprint = build.fingerprint
        self.batch_size = batch_size
        self.threads = threads
        self.dim = 0
        self._runner: _OnnxRunner | None = None

    def _load(self) -> _OnnxRunner:
        if self._runner is None:
            meta = json.loads((self.build.folder / "build.json").read_text(encoding="utf-8"))
            self._runner = _OnnxRunner(self.build.folder, meta["pooling"], batch_size=self.batch_size, threads=self.threads)
        return self._runner

    def encode(self, texts: Sequence[str], *, progress: Progress | None = None) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(texts, progress)
        self.dim = int(vectors.shape[1])
        return vectors

    def describe(self) -> dict[str, str]:
        info = super().describe()
        info.update(device="cpu", mean_cosine_to_torch=f"{self.build.mean_cosine:.4f}", batch_size=str(self.batch_size))
        return info

    def batch_order(self, texts: Sequence[str]) -> tuple[list[int], int]:
        return self._load().order(texts), self.batch_size

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_runner": None}
