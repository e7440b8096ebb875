"""Every default in one place, with a seed.

Settings come from the defaults below, then an optional ``wisdoms.yaml`` settings file, then
keyword or command-line overrides, in that order.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from .errors import SettingsError

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


def default_cache_dir() -> Path:
    """Where embeddings and derived models are cached: ``$WISDOMS_CACHE_DIR`` or the user cache."""
    explicit = os.environ.get("WISDOMS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wisdoms"


@dataclass(frozen=True)
class Settings:
    """All tunable behaviour of a run.

    Attributes:
        seed: The one source of randomness (UMAP, sampling).
        model: Sentence-transformer model id; the default is the installed all-MiniLM-L6-v2.
        encoder: ``auto`` (torch on a CUDA GPU; else the int8 ONNX build, made once in the cache
            and used only if it agrees with torch, falling back to torch), ``torch`` or ``onnx``.
        spacy_model: spaCy pipeline name, or ``auto`` for en_core_web_sm (or its pinned re-upload).
        cache_dir: Embedding cache folder; ``None`` means :func:`default_cache_dir`.
        max_sentences: Most sentences in one passage.
        max_words: A passage stops growing once it reaches this many words.
        min_passage_words: Passages with fewer words than this are too short to theme; they are
            kept and listed as not yet in a theme.
        min_answer_words: The same for answers read from survey tables (``.csv``/``.xlsx``, one
            answer a row): a short answer ("Nothing.", "Staff were kind") is a whole answer, not a
            filler, so by default every answer is themed.
        min_theme_size: Smallest theme in passages; ``0``: 10 when survey answers are a third or
            more of the passages (BERTopic's ``min_topic_size``), else growing with the corpus (15
            on the shipped sample).
        min_passages: Fewer analysable passages than this is too small to look for themes.
        max_theme_share: No theme (nor sub-theme) holds more than this share of the themed passages: a
            bigger cluster is split (a theme holding most of a study says nothing).
        reduction: ``auto``, ``umap``, ``pca`` or ``none``: how embeddings are reduced before clustering.
        reduced_dims: Dimensions after reduction.
        umap_neighbors: UMAP ``n_neighbors`` (capped by the corpus size).
        quotes_per_theme: Representative quotes per theme (3 to 5 is the convention).
        code_threshold: Zero-shot score (cosine scale) at or above which a passage or theme is assigned a code.
        code_margin: A code is assigned only if within this margin of the passage's best code.
        theme_code_threshold: Score of a theme's centre at or above which the theme gets the code.
        max_codes_per_passage: Most codes assigned to one passage.
        learned_threshold: Probability at or above which a learned code is assigned: learned from
            people's decisions, or from the texts being coded (``learn_from_corpus``).
        learned_lexical: Codes learned from decisions may also read the wording of each text (word 1-2-grams
            and character 3-5-grams, TF-IDF) next to its embedding, when the texts are at hand; each code
            uses it only where cross-validation on the decisions shows it helps.
        code_clauses: A text with several clauses ("Quick response, accurate advice") is also scored
            clause by clause, each code keeping its best score, so every point it makes can match a
            code (:mod:`wisdoms.codebook.clauses`); the clauses are embedded (and cached) like passages.
            ``wisdoms code`` and :meth:`wisdoms.codebook.CodeMatcher.score` given texts; ``wisdoms run``
            scores whole passages, for speed.
        learn_from_corpus: Learn from the batch being coded as well (off by default): the zero-shot
            classifier self-trains on the batch's clearest half; without decisions, the texts the codebook
            codes most clearly stand in for them; with decisions, a second round adds the texts those code
            confidently (see :meth:`wisdoms.codebook.CodeMatcher.fit`). A text's codes then depend on the
            other texts of its batch; measured in ``benchmarks/CODEBOOK.md``.
        scheduler: Dask scheduler address (``tcp://host:8786``) to segment and embed on a cluster;
            ``None`` runs in this process.
        refit_share: A re-run whose passages extend an earlier run's (same theme settings, model
            and seed) keeps that run's themes and only places the new passages, until the passages
            added since the fit exceed this share of the fitted ones; then themes are fitted afresh.
            ``0`` refits whenever anything was added.
        privacy_prescan: With at least this many passages new to the cache (embedded afresh this run), at
            most :data:`wisdoms.privacy.prescan.MAX_TEXTS` participant turns and passages, and two CPU cores,
            the privacy detectors run over every turn and passage in a second process while themes are
            fitted, so the gate finds them cached (:mod:`wisdoms.privacy.prescan`); ``0`` turns it off.
    """

    seed: int = 42
    model: str = DEFAULT_MODEL
    encoder: str = "auto"
    spacy_model: str = "auto"
    cache_dir: str | None = None
    max_sentences: int = 3
    max_words: int = 40
    min_passage_words: int = 4
    min_answer_words: int = 1
    min_theme_size: int = 0
    min_passages: int = 20
    max_theme_share: float = 0.25
    reduction: str = "auto"
    reduced_dims: int = 5
    umap_neighbors: int = 15
    quotes_per_theme: int = 5
    code_threshold: float = 0.33
    code_margin: float = 0.08
    theme_code_threshold: float = 0.38
    max_codes_per_passage: int = 3
    learned_threshold: float = 0.5
    learned_lexical: bool = True
    code_clauses: bool = True
    learn_from_corpus: bool = False
    scheduler: str | None = None
    refit_share: float = 0.1
    privacy_prescan: int = 1000

    def resolved_cache_dir(self) -> Path:
        """The cache folder to use."""
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()

    def to_dict(self) -> dict[str, Any]:
        """Plain dict, for the run manifest."""
        return asdict(self)

    @classmethod
    def from_dict(cls, recorded: Any) -> Settings:
        """The settings a run recorded (:meth:`to_dict`, under ``settings`` in its manifest); names this
        version does not know (a newer or older run) are left out, missing ones take their defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (recorded or {}).items() if k in known})

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with ``overrides`` applied; ``None`` values are ignored.

        Raises:
            SettingsError: An unknown name or a value of the wrong type.
        """
        clean = {k: v for k, v in overrides.items() if v is not None}
        _check(clean, source="overrides")
        return replace(self, **clean)

    @classmethod
    def from_file(cls, path: str | Path) -> Settings:
        """Defaults with the values of a YAML settings file on top.

        Raises:
            SettingsError: The file is unreadable, not a mapping, or has unknown names or bad values.
        """
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read settings: {exc}", path=path) from exc
        if not isinstance(data, dict):
            raise SettingsError("settings must be a mapping of name: value", path=path)
        _check(data, source=str(path))
        return replace(cls(), **data)


_CHOICES = {
    "reduction": {"auto", "umap", "pca", "none"},
    "encoder": {"auto", "torch", "onnx"},
}


def _check(values: dict[str, Any], *, source: str) -> None:
    known = {f.name: f for f in fields(Settings)}
    defaults = Settings()
    for name, value in values.items():
        if name not in known:
            raise SettingsError(
                f"unknown setting {name!r} in {source}",
                hint=f"use one of: {', '.join(sorted(known))}",
            )
        default = getattr(defaults, name)
        expected = type(default) if default is not None else str
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default, bool):
            raise SettingsError(
                f"setting {name!r} in {source} must be {expected.__name__}, got {value!r}"
            )
        if name in _CHOICES and value not in _CHOICES[name]:
            raise SettingsError(
                f"setting {name!r} in {source} is {value!r}",
                hint=f"use one of: {', '.join(sorted(_CHOICES[name]))}",
            )
