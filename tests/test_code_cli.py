"""``wisdoms code`` end to end: a subprocess, the real embedding model offline, real and made-up answers."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CODEBOOK, REPO

from wisdoms.codebook import load_codebook

pytestmark = pytest.mark.slow

ANSWERS = [
    ("a-1", "They kept me on hold for an hour and nobody called back."),
    ("a-2", "The worker remembered my name and asked about my daughter."),
    ("a-3", "I had to tell my story again to every new service."),
    ("a-4", "Honestly it was fine."),
]


def _wisdoms(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "wisdoms.cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=600)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _check_coding(rows: list[dict[str, str]], ids: list[str], codes: list[str]) -> None:
    """One row per id x active code, best first per id, scores numbers, assigned true/false."""
    assert len(rows) == len(ids) * len(codes)
    assert [r["id"] for r in rows[:: len(codes)]] == ids  # every input id, in input order
    for i, answer in enumerate(ids):
        block = rows[i * len(codes):(i + 1) * len(codes)]
        assert {r["id"] for r in block} == {answer} and sorted(r["code"] for r in block) == sorted(codes)
        scores = [float(r["score"]) for r in block]
        assert scores == sorted(scores, reverse=True)
        assert {r["assigned"] for r in block} <= {"true", "false"}


@pytest.fixture
def answers_csv(tmp_path: Path) -> Path:
    path = tmp_path / "answers.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["answer_id", "response", "site"])
        writer.writerows([(i, text, "north") for i, text in ANSWERS])
    return path


def test_code_nhs_comments_with_the_benchmark_codebook(shared, tmp_path):
    comments, codebook = shared / "bench" / "nhs_fft" / "comments.jsonl", shared / "bench" / "nhs_fft" / "codebook.jsonl"
    if not comments.is_file() or not codebook.is_file():
        pytest.skip(f"NHS benchmark files not found under {shared / 'bench' / 'nhs_fft'}")
    lines = [json.loads(ln) for ln in comments.read_text(encoding="utf-8").splitlines()[:300:25]]
    sample = tmp_path / "comments.jsonl"
    sample.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    out = tmp_path / "coded.csv"
    done = _wisdoms("code", str(sample), "--codebook", str(codebook), "--out", str(out))
    assert done.returncode == 0, done.stderr
    codes = [c.id for c in load_codebook(codebook).active]
    rows = _rows(out)
    _check_coding(rows, [r["id"] for r in lines], codes)
    assert f"Coded {len(lines)} answers against {len(codes)} codes" in done.stdout
    assert any(r["assigned"] == "true" for r in rows)


def test_code_made_up_csv_with_named_columns_and_learning(answers_csv, tmp_path):
    codes = [c.id for c in load_codebook(CODEBOOK).active]
    zero = tmp_path / "zero.csv"
    done = _wisdoms("code", str(answers_csv), "--codebook", str(CODEBOOK), "--out", str(zero),
                    "--text-column", "response", "--id-column", "answer_id")
    assert done.returncode == 0, done.stderr
    _check_coding(_rows(zero), [i for i, _t in ANSWERS], codes)

    # A researcher confirms the worker who remembered a name as "seen as a person", twice, and rejects it once.
    decisions = tmp_path / "decisions.csv"
    with open(decisions, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["target_id", "code", "verdict", "text", "who", "when"])
        writer.writerow(["d1", "seen-as-person", "confirm", "She knew my name and asked how my kids were.", "Amina", "2026-01-05"])
        writer.writerow(["d2", "seen-as-person", "confirm", "He treated me like a person, not a case number.", "Amina", "2026-01-05"])
        writer.writerow(["d3", "seen-as-person", "reject", "I waited on hold all morning.", "Jo", "2026-01-06"])
    learned = tmp_path / "learned.csv"
    done = _wisdoms("code", str(answers_csv), "--codebook", str(CODEBOOK), "--out", str(learned),
                    "--text-column", "response", "--id-column", "answer_id", "--learn", str(decisions))
    assert done.returncode == 0, done.stderr
    rows = _rows(learned)
    _check_coding(rows, [i for i, _t in ANSWERS], codes)
    score = {(r["id"], r["code"]): float(r["score"]) for r in rows}
    assert score[("a-2", "seen-as-person")] > score[("a-1", "seen-as-person")]
    assert rows != _rows(zero)  # the decisions changed the scores
    # what was learned, and what each code uses, is said on screen (cross-validation on the decisions)
    assert "Learned from decisions, checked by cross-validation on them" in done.stdout
    assert "code(s) use" in done.stdout


def test_bad_column_names_the_file_and_the_column(answers_csv, tmp_path):
    out = tmp_path / "never.csv"
    done = _wisdoms("code", str(answers_csv), "--codebook", str(CODEBOOK), "--out", str(out), "--text-column", "answer")
    assert done.returncode == 2
    assert str(answers_csv) in done.stderr and "'answer'" in done.stderr and "--text-column" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
    jsonl = tmp_path / "answers.jsonl"
    jsonl.write_text(json.dumps({"id": "x", "text": "fine"}) + "\n" + json.dumps({"id": "y", "body": "ok"}) + "\n",
                     encoding="utf-8")
    done = _wisdoms("code", str(jsonl), "--codebook", str(CODEBOOK), "--out", str(out))
    assert done.returncode == 2 and f"{jsonl}:2" in done.stderr and "'text'" in done.stderr and not out.exists()


def test_no_answers_is_refused_and_blank_answers_are_counted(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("id,text\n", encoding="utf-8")
    out = tmp_path / "never.csv"
    done = _wisdoms("code", str(empty), "--codebook", str(CODEBOOK), "--out", str(out))
    assert done.returncode == 2 and f"{empty}: no answers to code" in done.stderr and not out.exists()
    some = tmp_path / "some.csv"
    some.write_text("id,text\na,Nobody called back.\nb,\nc,   \n", encoding="utf-8")
    done = _wisdoms("code", str(some), "--codebook", str(CODEBOOK), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"2 of 3 answers in {some} are blank (line/row 3, 4)" in done.stdout
    rows = _rows(out)
    assert {r["id"] for r in rows} == {"a", "b", "c"}  # nothing lost
    assert not any(r["assigned"] == "true" for r in rows if r["id"] in ("b", "c"))  # the starter codebook has no blank code
