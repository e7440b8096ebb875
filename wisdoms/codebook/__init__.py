"""The codebook: load, validate and save it in every format; match passages and themes to its codes;
learn from people's decisions; measure agreement; import REFI-QDA projects; suggest codes for uncovered themes.

The front door re-exports what the pipeline and notebooks use.
"""

from __future__ import annotations

from ._model import CODE_KEYS, STATUSES, Codebook, codebook_to_dict, load_yaml_codebook, validate
from .agreement import Agreement, agreement, cohen_kappa, krippendorff_alpha, read_assignments
from .coding import Answer, code_answers, read_answers, write_coding
from .coverage import MACHINE_NOTE, CodeCoverage, CodeSuggestion, coverage, suggest_codes, write_suggestions
from .decisions import (
    Decision,
    load_decisions,
    merge_decisions,
    read_review_sheet,
    save_decisions,
    write_review_sheet,
)
from .evidence import Evidence
from .formats import (
    NO_CODEBOOK,
    QDC_NAMESPACE,
    SUFFIXES,
    code_guid,
    find_codebook,
    load_codebook,
    qdc_bytes,
    save_codebook,
    undescribed,
)
from .matching import Classifier, ClassifierStore, CodeMatcher, assign
from .qdpx_import import QdpxImport, read_qdpx

__all__ = [
    "CODE_KEYS", "NO_CODEBOOK", "QDC_NAMESPACE", "STATUSES", "SUFFIXES", "Agreement", "Answer",
    "Classifier", "ClassifierStore", "CodeCoverage", "CodeMatcher", "Codebook", "Decision", "Evidence", "agreement",
    "assign", "code_answers", "code_guid",
    "codebook_to_dict", "cohen_kappa", "coverage", "find_codebook", "krippendorff_alpha", "load_codebook", "load_decisions",
    "load_yaml_codebook", "merge_decisions", "qdc_bytes", "read_answers", "read_assignments",
    "read_review_sheet", "save_codebook", "save_decisions", "validate", "write_coding", "write_review_sheet",
    "MACHINE_NOTE", "CodeSuggestion", "QdpxImport", "read_qdpx", "suggest_codes", "write_suggestions", "undescribed",
]
