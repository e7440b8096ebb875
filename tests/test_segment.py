"""Passages: sentences of one participant turn, exact offsets, markers never cut, nothing lost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wisdoms.ingest import read_folder, read_transcript
from wisdoms.segment import group_sentences, load_spacy, paragraphs, segment, sentence_spans
from wisdoms.settings import Settings

TEXT = """---
participant: P1
---
Interviewer: Tell me about the hostel. Was the zebracrossing team helpful?

Participant: Yeah. It was loud, honestly, people shouting all night and the door never locked. [laughs] I used to sleep in my coat.
I kept asking for a move and they kept saying wait.

Interviewer: Mm.

Participant: Okay.
"""


@pytest.fixture(scope="module")
def nlp():  # noqa: ANN201
    return load_spacy("auto")


@pytest.fixture
def transcript(tmp_path: Path):  # noqa: ANN201
    path = tmp_path / "t.txt"
    path.write_text(TEXT, encoding="utf-8")
    return read_transcript(path, tmp_path)


def test_passages_are_exact_and_participant_only(transcript, nlp) -> None:  # noqa: ANN001
    passages = segment([transcript], nlp=nlp)
    assert passages, "participant speech gives passages"
    for p in passages:
        assert transcript.text[p.start : p.end] == p.text
        turn = transcript.turns[p.turn]
        assert turn.role == "participant" and turn.start <= p.start and p.end <= turn.end
        assert "zebracrossing" not in p.text, "interviewer words never become passages"
    assert {p.participant for p in passages} == {"P1"}


def test_every_participant_word_in_exactly_one_passage(transcript, nlp) -> None:  # noqa: ANN001
    passages = segment([transcript], nlp=nlp)
    covered = [0] * len(transcript.text)
    for p in passages:
        for i in range(p.start, p.end):
            covered[i] += 1
    for turn in transcript.participant_turns():
        for m in re.finditer(r"\S+", transcript.text[turn.start : turn.end]):
            start = turn.start + m.start()
            assert all(covered[i] == 1 for i in range(start, start + len(m.group()))), m.group()


def test_markers_are_kept_whole_and_not_counted_as_words(transcript, nlp) -> None:  # noqa: ANN001
    passages = segment([transcript], nlp=nlp)
    with_marker = [p for p in passages if "[laughs]" in p.text]
    assert with_marker, "the marker stays verbatim in a passage"
    assert all("laughs" not in p.analysis_text for p in with_marker)
    assert not any(re.search(r"(^|[^\[])laughs\]|\[laughs($|[^\]])", p.text) for p in passages)


def test_short_sentences_join_neighbours_but_lone_turns_stay() -> None:
    settings = Settings()
    sentences = [(0, 5, 1), (6, 80, 14), (81, 90, 2)]
    groups = group_sentences(sentences, settings=settings)
    assert [len(g) for g in groups] == [3] or sum(len(g) for g in groups) == 3
    assert group_sentences([(0, 5, 1)], settings=settings) == [[(0, 5, 1)]]


def test_long_turns_split_at_max_words() -> None:
    settings = Settings(max_words=40, max_sentences=3)
    sentences = [(i * 100, i * 100 + 90, 15) for i in range(6)]
    groups = group_sentences(sentences, settings=settings)
    assert all(sum(s[2] for s in g) <= 40 for g in groups)
    assert [s for g in groups for s in g] == sentences


def test_boundary_inside_marker_moves_to_marker_start() -> None:
    text = "I was fine. [inaudible] then not."
    spans = sentence_spans(text, 0, len(text), [0, 13])
    assert [text[s:e] for s, e, _ in spans] == ["I was fine.", "[inaudible] then not."]
    assert spans[1][2] == 2


def test_paragraphs_trim_edges() -> None:
    text = "  one\n\n  two  \n \n three"
    assert [text[s:e] for s, e in paragraphs(text, 0, len(text))] == ["one", "two", "three"]


def test_sample_offsets_hold_everywhere(nlp) -> None:  # noqa: ANN001
    from conftest import SAMPLE

    transcripts = read_folder(SAMPLE)
    by_id = {t.id: t for t in transcripts}
    passages = segment(transcripts, nlp=nlp)
    assert len(passages) > 500
    assert all(by_id[p.transcript].text[p.start : p.end] == p.text for p in passages)
    assert len({p.id for p in passages}) == len(passages)


def test_sentence_splitting_loads_senter_alone_with_the_same_sentences() -> None:
    """senter carries its own embedding: the shared tok2vec is left out, and the sentences do not change."""
    import importlib

    from wisdoms.segment import load_spacy

    nlp = load_spacy()
    assert nlp.pipe_names == ["senter"]
    full = importlib.import_module(nlp.meta["wisdoms_package"]).load(exclude=["parser", "ner"])
    full.enable_pipe("senter")
    text = ("I rang them. Nobody came back to me, not for weeks. Then a letter: appointment cancelled. "
            "So I went down there myself! They said Mr Jones had left; ask at reception.")
    assert [s.text for s in nlp(text).sents] == [s.text for s in full(text).sents]


def test_loading_spacy_for_sentences_does_not_import_torch_and_torch_still_imports() -> None:
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "from wisdoms.segment import load_spacy\n"
        "nlp = load_spacy()\n"
        "before = 'torch' in sys.modules\n"
        "sents = [s.text for s in nlp('I rang them. Nobody came.').sents]\n"
        "import torch\n"
        "print(json.dumps({'torch_before': before, 'sents': sents, 'torch_after': torch.tensor([1]).tolist()}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {
        "torch_before": False, "sents": ["I rang them.", "Nobody came."], "torch_after": [1]}


def test_a_passage_computes_its_analysis_text_once_and_pickles_without_it() -> None:
    import pickle
    from dataclasses import asdict, replace

    from wisdoms.models import Passage

    p = Passage(id="t#0-40", transcript="t", participant="P1", start=0, end=40, text="Well [laughs]  it was   the rent.", turn=0)
    size = len(pickle.dumps(p))
    assert p.analysis_text == "Well it was the rent." and p.words == 5
    assert len(pickle.dumps(p)) == size  # the cached text does not travel to Dask workers or the prescan
    back = pickle.loads(pickle.dumps(p))
    assert back == p and back.analysis_text == p.analysis_text and "analysis_text" not in asdict(back)
    assert replace(p, text="Fine.").analysis_text == "Fine."  # a changed copy computes its own


def test_analysis_positions_map_the_analysis_text_back_to_the_words_said() -> None:
    import random

    from wisdoms.models import Passage, analysis_positions

    p = Passage(id="t#0-40", transcript="t", participant="P1", start=0, end=40,
                text="  Well [laughs]  it was\n  the rent.", turn=0)
    assert p.analysis_text == "Well it was the rent."
    at = p.analysis_positions
    assert p.text[at[0]: at[3] + 1] == "Well" and p.text[at[5]: at[6] + 1] == "it"
    assert p.text[at[-9]: at[-1] + 1] == "the rent."
    assert at[4] == p.text.index("[laughs]") - 1  # the spaces and marker between words: where they start
    rng = random.Random(7)
    pieces = ["word", "  ", "\n", "[inaudible]", "[laughs] ", " x", ".", "\t", "[", "]", "\u00e9"]
    for _ in range(500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        analysis = Passage(id="x", transcript="t", participant="P", start=0, end=len(text), text=text,
                           turn=0).analysis_text
        positions = analysis_positions(text)
        assert len(positions) == len(analysis) and list(positions) == sorted(set(positions))
        assert all(text[i] == c for c, i in zip(analysis, positions) if not c.isspace())



@pytest.mark.parametrize(("text", "reason"), [
    ("Yeah. Okay. Mm-hmm.", "backchannel or filler"),
    ("Right, so, um, yeah, I mean, you know.", "backchannel or filler"),
    ("Thank you so much, bye!", "greeting, thanks or goodbye"),
    ("Can you hear me okay?", "talk about the conversation itself"),
    ("Sorry, next question.", "talk about the conversation itself"),
    ("[laughs]", "no words"),
    ("Um, yeah, no, that makes sense.", "backchannel or filler"),  # set phrases of conversation make no point
    ("Not that I can recall at the moment.", "backchannel or filler"),
    ("Hmmm, I'm not sure. I don't know.", "backchannel or filler"),
    ("XXXX. Yeah.", "backchannel or filler"),  # a redaction mark is not a word
    ("Okay, I'll share my screen now.", "talk about the conversation itself"),
])
def test_content_free_talk_is_recognised_with_its_reason(text: str, reason: str) -> None:
    from wisdoms.segment import content_free_reason

    found = content_free_reason(text)
    assert found is not None and found.startswith("content-free") and reason in found


@pytest.mark.parametrize("text", [
    "I lost my flat.", "Yeah, the map.", "He gave me his number. Maybe one day.",
    "Can you hear me when I say the hostel was loud all night?", "I could not hear the doctor on the phone.",
    "I don't know what to do about the rent.", "Not really, the GP never called back.", "XXXX rang me about the flat.",
    "Yeah (laughs) the hostel was awful.", "The nurse (Jane) was kind.",
    "(The participant reads the task again)",  # an observer's record of what they did: researchers code it
    "Okay ... (The participant reads the task again)",
])
def test_talk_with_a_point_is_not_content_free(text: str) -> None:
    from wisdoms.segment import content_free_reason

    assert content_free_reason(text) is None


def test_a_survey_answer_is_content_free_only_without_words() -> None:
    """'Nothing.' and 'Thank you' answer a question in a survey; '-' says nothing."""
    from wisdoms.segment import content_free_reason

    assert content_free_reason("Nothing.", answer=True) is None
    assert content_free_reason("Thank you", answer=True) is None
    assert content_free_reason(" - ", answer=True) is not None
    assert content_free_reason("Nothing.") is not None
    # a respondent's own brackets are their words; in a conversation they are the transcriber's
    assert content_free_reason("(see my earlier comments about the waiting room)", answer=True) is None


def test_passages_never_meet_inside_a_word_so_the_report_counts_the_words_check_counts():
    """spaCy may end a sentence between ``No`` and ``?``: the passages then held one word more than the participant
    said (serdif: 44,074 in the report, 44,073 by ``wisdoms check``)."""
    from wisdoms.segment import whole_words

    text = "and the seep it had ... No? So it is the mean of the values."
    cut = text.index("?")
    fixed = whole_words(text, [(0, cut, 1), (cut, len(text), 2)])
    assert [text[s:e] for s, e, _ in fixed] == ["and the seep it had ... No?", "So it is the mean of the values."]
    assert sum(len(text[s:e].split()) for s, e, _ in fixed) == len(text.split())
    assert whole_words("It was fine.", [(0, 11, 1), (11, 12, 1)]) == [(0, 12, 2)]  # only the rest of a word: joined
    spaced = "No. That's the other thing."
    assert whole_words(spaced, [(0, 3, 1), (4, len(spaced), 1)]) == [(0, 3, 1), (4, len(spaced), 1)]
    marked = "[laughs]I went."  # a mark's edge is no word to cut
    assert whole_words(marked, [(0, 8, 1), (8, len(marked), 1)]) == [(0, 8, 1), (8, len(marked), 1)]
