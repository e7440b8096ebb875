"""Theme keywords and labels: the word counter, class-based TF-IDF, maximal marginal relevance."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._words import ENGLISH_STOP_WORDS  # re-exported here: tests compare it with scikit-learn's

#: Spoken fillers that carry no theme, on top of scikit-learn's English stop words.
SPOKEN_STOP_WORDS = frozenset(
    """yeah yes yep no nope like know just mean really got get gets getting gonna gotta kind sort
    think thought thing things say says said saying went go goes going um uh erm er ah oh ok okay
    right well lot lots bit actually literally basically stuff want wanted wanna did didn don doesn
    isn wasn weren ve ll re im dont didnt cause cos coz way ll maybe probably honestly
    pretty quite tell told come came make made bloody proper sure guess anyway mate
    thats youre hes shes theyre ive wont cant couldnt wouldnt shouldnt isnt arent wasnt
    werent doesnt hadnt hasnt havent theres whats lets its youve weve theyve youd theyd
    aint innit dunno""".split()
) | frozenset(
    # Contractions, apostrophes kept: "he'd" must not become the keyword "hed", nor "I'll" the word "ill".
    [f"{who}{tail}" for who in ("i", "you", "he", "she", "it", "we", "they", "that", "there", "who", "what")
     for tail in ("'d", "'ll", "'m", "'re", "'ve")]
    + [f"{verb}n't" for verb in ("do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "could",
                                 "would", "should", "ca", "wo", "ai", "must", "might", "need")]
    + ["can't", "won't", "ain't", "y'know", "'cause", "gov'nor"]
)


_STOP_WORDS = ENGLISH_STOP_WORDS | SPOKEN_STOP_WORDS

_WORD = r"(?u)\b[a-zA-Z][a-zA-Z']+\b"
_WORD_RE = re.compile(_WORD)


def _vectorizer(*, min_df: int = 1, vocabulary: Sequence[str] | None = None):  # noqa: ANN202
    """The keyword vectorizer (1-2 word phrases, English and spoken stop words)."""
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(
        stop_words=sorted(_STOP_WORDS),
        ngram_range=(1, 2),
        min_df=min_df,
        token_pattern=_WORD,
        preprocessor=_normalise_for_keywords,
        vocabulary=list(vocabulary) if vocabulary is not None else None,
    )


def count_words(docs: Sequence[str], vocabulary: Sequence[str]) -> Any:
    """``_vectorizer(vocabulary=vocabulary).transform(docs)`` without importing scikit-learn: a sparse
    ``(docs, vocabulary)`` matrix of counts of the vocabulary's words and two-word phrases, made the same way
    (the same preprocessing, token pattern and stop words; a phrase joins two words that are adjacent once
    the stop words are gone)."""
    from scipy import sparse

    index = {word: i for i, word in enumerate(vocabulary)}
    indptr, indices, data = [0], [], []
    for doc in docs:
        tokens = [t for t in _WORD_RE.findall(_normalise_for_keywords(doc)) if t not in _STOP_WORDS]
        grams = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
        counts = Counter(index[g] for g in grams if g in index)
        for column in sorted(counts):
            indices.append(column)
            data.append(counts[column])
        indptr.append(len(indices))
    return sparse.csr_matrix((np.asarray(data, dtype=np.int64), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
                             shape=(len(docs), len(vocabulary)))


def _clean_for_keywords(docs: Sequence[str]) -> list[str]:
    """BERTopic's cleaning before counting words (letters, digits and spaces), except that apostrophes
    stay, so contractions are recognised as such ("he'd", not the made-up word "hed"), and hyphens and
    dashes separate words ("full-time" is "full time", not "fulltime")."""
    cleaned = [re.sub(r"[^A-Za-z0-9' ]+", "", re.sub(r"[\s\-\u2010-\u2015]+", " ", d.replace("\u2019", "'")))
               for d in docs]
    return [d if d.strip() else "emptydoc" for d in cleaned]


def topic_words(counts, count_ids: Sequence[int], vocabulary: Sequence[str], *,  # noqa: ANN001
                top_n: int = 30) -> dict[int, list[str]]:
    """Each theme's top words by class-based TF-IDF (BERTopic's c-TF-IDF, computed from word counts).

    Args:
        counts: Word counts, one row per id in ``count_ids``: a SciPy sparse matrix (as fitted and
            saved) or a dense array.
        count_ids: Theme id of each row.
        vocabulary: The word of each column.
        top_n: Words kept per theme.

    Ties are broken by vocabulary order, so the same counts always give the same words.
    """
    if not len(vocabulary) or not len(count_ids):
        return {int(t): [] for t in count_ids}
    from scipy import sparse

    rows = sparse.csr_matrix(counts, dtype=np.float64)
    df = np.asarray(rows.sum(axis=0)).ravel()
    totals = np.asarray(rows.sum(axis=1)).ravel()
    avg = int(totals.mean())
    with np.errstate(divide="ignore"):
        idf = np.log(avg / np.where(df > 0, df, np.inf) + 1)
    out: dict[int, list[str]] = {}
    for row, topic in enumerate(count_ids):
        # Only the words a theme uses can score above 0 (the rest are dropped), so only those are
        # scored and sorted: score down, then vocabulary order.
        begin, stop = rows.indptr[row], rows.indptr[row + 1]
        cols = rows.indices[begin:stop]
        tfidf = rows.data[begin:stop] / (totals[row] if totals[row] > 0 else 1) * idf[cols]
        keep = tfidf > 0
        cols, tfidf = cols[keep], tfidf[keep]
        order = cols[np.lexsort((cols, -tfidf))][:top_n]
        out[int(topic)] = [vocabulary[i] for i in order]
    return out


#: Redaction marks left by an earlier anonymisation (runs of two or more x, as in the NHS answers where every
#: staff name was replaced by four capital X): never keywords.
_REDACTION_MARK = re.compile(r"\bx{2,}\b")


def _normalise_for_keywords(text: str) -> str:
    """Lower case, straight apostrophes, possessive 's dropped ("mum's" counts as "mum"), redaction
    marks (runs of x) blanked."""
    return _REDACTION_MARK.sub(" ", re.sub(r"'s\b", "", text.lower().replace("\u2019", "'")))


def mmr_keywords(
    words: Sequence[str], vectors: NDArray[np.float32], centroid: NDArray[np.float32], *, k: int = 8,
    diversity: float = 0.3,
) -> list[str]:
    """Pick ``k`` words close to ``centroid`` but not to each other (maximal marginal relevance)."""
    relevance = vectors @ centroid
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(k, len(words)):
        rest = [i for i in range(len(words)) if i not in chosen]
        redundancy = (vectors[rest] @ vectors[chosen].T).max(axis=1)
        mmr = (1 - diversity) * relevance[rest] - diversity * redundancy
        chosen.append(rest[int(np.argmax(mmr))])
    return [words[i] for i in chosen]


def _dedupe_keywords(words: Sequence[str]) -> list[str]:
    """Drop single words already inside a better-ranked phrase, and phrases repeating one word."""
    chosen: list[str] = []
    for word in words:
        parts = word.split()
        if len(set(parts)) < len(parts):
            continue
        if any(word in c.split() or c in parts for c in chosen):
            continue
        chosen.append(word)
    return chosen


#: Words of a member's text a theme label quotes, when it has no keywords.
LABEL_WORDS = 6
#: A keyword label must name words at least this share of the theme's members use; else it says nothing
#: about most of them (637 answers of "Nothing", "Nothin", "Nothing x" got the keyword "excellant", from one).
LABEL_MIN_SHARE = 0.05


def label_from_keywords(keywords: Sequence[str], texts: Sequence[str] = ()) -> str:
    """A short label from the top three keywords: ``Waiting list, mental health, months``.

    A theme can have no keyword at all when every word its members use is a stop word (survey answers
    such as "Nothing" or "No."), or keywords that hardly any member uses. Given its members' ``texts``, it
    is then labelled with its most common answer, in quotation marks (``“Nothing”``), cut to
    :data:`LABEL_WORDS` words: when there are no keywords, or when fewer than :data:`LABEL_MIN_SHARE` of
    the members use any word of the top three keywords and some answer is given more than once.
    """
    if texts and (not keywords or _keyword_share(keywords[:3], texts) < LABEL_MIN_SHARE):
        common, times = most_common_text(texts, count=True)
        if common and (not keywords or times > 1):
            words = common.split()
            return f"“{' '.join(words[:LABEL_WORDS])}{' …' if len(words) > LABEL_WORDS else ''}”"
    label = ", ".join(keywords[:3]) or "unlabelled theme"
    return label[:1].upper() + label[1:]


def _keyword_share(keywords: Sequence[str], texts: Sequence[str]) -> float:
    """The share of ``texts`` that use a word of any of ``keywords``."""
    wanted = {w for k in keywords for w in k.split()}
    return sum(1 for t in texts if wanted & set(same_words(t).split())) / max(1, len(texts))


def same_words(text: str) -> str:
    """``text`` reduced to what makes two answers the same to a reader: its words, lower case, curly
    apostrophes straightened, spacing and punctuation around words ignored ("Nothing." is "nothing")."""
    return " ".join(re.findall(r"[\w']+", text.lower().replace("\u2019", "'")))


def most_common_text(texts: Sequence[str], *, count: bool = False):  # noqa: ANN201 (str, or (str, int))
    """The answer given most often (by :func:`same_words`), as first written; ties go to the first seen.
    With ``count``, also how many times it was given."""
    from collections import Counter

    first: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for text in texts:
        words = same_words(text)
        if words:
            first.setdefault(words, " ".join(text.split()))
            counts[words] += 1
    # Counter keeps first-seen order and max() returns the first of equals, so ties go to the first seen.
    best = max(counts, key=counts.__getitem__) if counts else ""
    text = first[best] if best else ""
    return (text, counts[best] if best else 0) if count else text
