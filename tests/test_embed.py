"""Embedding cache, only-new-texts encoding, the ONNX encoder and its fallback to torch."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import numpy as np
import pytest

from wisdoms.embed import (
    AGREEMENT_PROBES,
    MIN_AGREEMENT,
    Embedder,
    EmbeddingCache,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    build_onnx,
    embed_texts,
    make_embedder,
    onnx_build_dir,
)
from wisdoms.errors import SettingsError


class CountingEmbedder(Embedder):
    """Deterministic vectors from text hashes; remembers what it was asked to encode."""

    def __init__(self, model_id: str = "fake", fingerprint: str = "v1") -> None:
        self.model_id, self.fingerprint, self.dim = model_id, fingerprint, 8
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str], *, progress=None):  # noqa: ANN001, ANN201
        self.seen.extend(texts)
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dim) for t in texts]
        out = np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)
        if progress:
            progress(len(texts), len(texts))
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_cache_key_depends_on_model_fingerprint_and_text() -> None:
    a, b, c = CountingEmbedder("m", "v1"), CountingEmbedder("m", "v2"), CountingEmbedder("m+onnx", "v1")
    keys = {EmbeddingCache.key(e, "hello") for e in (a, b, c)} | {EmbeddingCache.key(a, "hello!")}
    assert len(keys) == 4
    assert EmbeddingCache.key(a, "hello") == EmbeddingCache.key(CountingEmbedder("m", "v1"), "hello")


def test_put_then_get_round_trips_vectors(tmp_path) -> None:  # noqa: ANN001
    cache = EmbeddingCache(tmp_path)
    vec = np.arange(4, dtype=np.float32)
    cache.put_many({"k1": vec})
    got = cache.get_many(["k1", "missing"])
    assert list(got) == ["k1"]
    np.testing.assert_array_equal(got["k1"], vec)


def test_only_new_texts_are_encoded_on_the_second_run(tmp_path) -> None:  # noqa: ANN001
    cache = EmbeddingCache(tmp_path)
    first = CountingEmbedder()
    vectors, stats = embed_texts(["a b", "c d", "a b"], first, cache)
    assert (stats.cached, stats.encoded) == (0, 2) and first.seen == ["a b", "c d"]
    second = CountingEmbedder()
    progress: list[tuple[int, int]] = []
    again, stats = embed_texts(["a b", "c d", "e f"], second, cache, progress=lambda d, t: progress.append((d, t)))
    assert (stats.cached, stats.encoded) == (2, 1)
    assert second.seen == ["e f"] and progress == [(1, 1)]
    np.testing.assert_array_equal(again[:2], vectors[:2])


def _fake_build(tmp_path, mean: float) -> None:  # noqa: ANN001
    folder = onnx_build_dir(cache_dir=tmp_path)
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"not used until encode")
    (folder / "tokenizer.json").write_text("{}")
    (folder / "build.json").write_text(json.dumps({"fingerprint": "abc", "mean_cosine": mean, "min_cosine": mean}))


def test_onnx_build_that_disagrees_falls_back_to_torch_with_a_reason(tmp_path, caplog) -> None:  # noqa: ANN001
    _fake_build(tmp_path, MIN_AGREEMENT - 0.1)
    with caplog.at_level(logging.WARNING, logger="wisdoms.embed"):
        embedder = make_embedder(encoder="onnx", cache_dir=tmp_path)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert "below 0.98" in caplog.text


def test_auto_uses_an_agreeing_onnx_build_with_its_own_cache_identity(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr("wisdoms.embed.factory.cuda_available", lambda: False)
    _fake_build(tmp_path, 0.995)
    embedder = make_embedder(encoder="auto", cache_dir=tmp_path)
    assert isinstance(embedder, OnnxEmbedder)
    torch_embedder = make_embedder(encoder="torch")
    assert embedder.model_id != torch_embedder.model_id and embedder.fingerprint == "abc"
    assert EmbeddingCache.key(embedder, "x") != EmbeddingCache.key(torch_embedder, "x")


def test_unknown_encoder_is_refused() -> None:
    with pytest.raises(SettingsError, match="encoder 'tensorflow'"):
        make_embedder(encoder="tensorflow")


@pytest.mark.slow
def test_onnx_build_agrees_with_torch_and_is_reused(tmp_path, caplog) -> None:  # noqa: ANN001
    """The build agrees with torch, is made once, and says nothing a user could take for a problem (the
    exporter's tracing warnings and the quantiser's pre-processing advice are expected and dropped)."""
    import logging
    import warnings

    with warnings.catch_warnings(record=True) as raised, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        build = build_onnx(cache_dir=tmp_path)
    shown = [w for w in raised if not issubclass(w.category, DeprecationWarning)]  # Python hides those
    assert not shown, [(w.category.__name__, str(w.message)) for w in shown]
    assert not [r for r in caplog.records if "quantization" in r.getMessage()]
    assert build.agrees and build.mean_cosine >= MIN_AGREEMENT
    assert build_onnx(cache_dir=tmp_path) == build
    onnx = make_embedder(encoder="onnx", cache_dir=tmp_path)
    assert isinstance(onnx, OnnxEmbedder)
    texts = ["The nurse explained everything.", "I waited months for housing.", *AGREEMENT_PROBES[:5]]
    ours = onnx.encode(texts)
    torch = SentenceTransformerEmbedder().encode(texts)
    assert ours.shape == torch.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert float(np.mean(np.sum(ours * torch, axis=1))) >= MIN_AGREEMENT
    order, step = onnx.batch_order(texts)
    assert sorted(order) == list(range(len(texts))) and step == onnx.batch_size


@pytest.mark.slow
def test_long_texts_run_in_pieces_within_the_attention_budget(tmp_path) -> None:  # noqa: ANN001
    from wisdoms.embed import ATTENTION_BUDGET

    onnx = make_embedder(encoder="onnx", cache_dir=tmp_path)
    assert isinstance(onnx, OnnxEmbedder)
    long_text = " ".join(["the housing officer never rang me back about the flat"] * 25)
    texts = [f"{long_text} {i}" for i in range(20)] + [f"short answer {i}" for i in range(70)]
    runner = onnx._load()
    shapes: list[tuple[int, int]] = []

    class Recording:
        def __init__(self, session) -> None:  # noqa: ANN001
            self.session = session

        def run(self, names, feeds):  # noqa: ANN001, ANN201
            shapes.append(feeds["input_ids"].shape)
            return self.session.run(names, feeds)

    runner.session = Recording(runner.session)
    whole = onnx.encode(texts)
    assert max(rows * width * width for rows, width in shapes) <= ATTENTION_BUDGET
    assert any(width > 128 for _rows, width in shapes), "the long texts were long enough to be split"
    order, step = onnx.batch_order(texts)
    part = order[step:]  # the second batch on its own gives the vectors it gave inside the whole call
    np.testing.assert_array_equal(onnx.encode([texts[i] for i in part]), whole[part])


def _tiny_encoder(folder, inputs: Sequence[str]) -> None:  # noqa: ANN001
    """A locally built encoder graph (word embeddings looked up by id, 4 dimensions) declaring ``inputs``, with a
    word-level tokenizer: the shape of an MPNet/XLM-R export, which has no ``token_type_ids``."""
    import onnx
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    vocab = {"[UNK]": 0, "kind": 1, "staff": 2, "long": 3, "wait": 4}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    table = np.random.default_rng(0).normal(size=(len(vocab), 4)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["hidden"], axis=0)], "tiny",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"]) for name in inputs],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", 4])],
        [helper.make_tensor("table", TensorProto.FLOAT, table.shape, table.ravel().tolist())])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(folder / "model.onnx"))


def test_onnx_runner_feeds_only_the_inputs_an_mpnet_style_graph_declares(tmp_path) -> None:  # noqa: ANN001
    from wisdoms.embed.onnx import _OnnxRunner

    _tiny_encoder(tmp_path, ["input_ids", "attention_mask"])
    runner = _OnnxRunner(tmp_path, {"mode": "mean", "normalize": True, "max_length": 16})
    vectors = runner.encode(["kind staff", "long wait", "kind staff"])
    assert vectors.shape == (3, 4)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2])
    assert not np.allclose(vectors[0], vectors[1])


def test_onnx_graph_needing_an_input_the_encoder_cannot_make_is_refused_by_name(tmp_path) -> None:  # noqa: ANN001
    from wisdoms.embed.onnx import _OnnxRunner
    from wisdoms.errors import ModelUnavailableError

    _tiny_encoder(tmp_path, ["input_ids", "attention_mask", "position_ids"])
    with pytest.raises(ModelUnavailableError, match="position_ids"):
        _OnnxRunner(tmp_path, {"mode": "mean", "normalize": True, "max_length": 16})


def test_encoder_inputs_follow_the_models_forward() -> None:
    from wisdoms.embed.onnx import encoder_inputs

    class MPNetLike:
        def forward(self, input_ids=None, attention_mask=None, head_mask=None):  # noqa: ANN001, ANN202
            return None

    class BertLike:
        def forward(self, input_ids=None, attention_mask=None, token_type_ids=None):  # noqa: ANN001, ANN202
            return None

    assert encoder_inputs(MPNetLike()) == ["input_ids", "attention_mask"]
    assert encoder_inputs(BertLike()) == ["input_ids", "attention_mask", "token_type_ids"]


def test_onnxruntime_failure_while_building_falls_back_to_torch_with_a_warning(tmp_path, monkeypatch,
                                                                              caplog) -> None:  # noqa: ANN001
    from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

    def refuse(model, cache_dir):  # noqa: ANN001, ANN202
        raise InvalidArgument("[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Invalid input name: token_type_ids")

    monkeypatch.setattr("wisdoms.embed.factory.build_onnx", refuse)
    with caplog.at_level(logging.WARNING, logger="wisdoms.embed"):
        embedder = make_embedder("all-MiniLM-L6-v2", encoder="onnx", cache_dir=tmp_path)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert "using torch" in caplog.text and "InvalidArgument" in caplog.text and "token_type_ids" in caplog.text
