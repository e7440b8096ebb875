"""Who is speaking: speaker labels -> roles, participant ids and the name shown for each turn.

Every reader turns its file into speaker labels and spans of speech, then calls :func:`resolve_speakers`.
Roles come, in order, from an explicit rule (``speakers.yaml`` beside the transcripts, or the file's
front matter ``speakers:``), from the label itself (``Interviewer``, ``I``, ``P1`` ...), and last from
who asks the questions (the share of a speaker's turns that end in ``?``). Guesses are reported as notes
so the user sees them and can override them.

Labels are compared after :func:`label_key` (case, spacing and numbering variants are one label:
``Interviewer1``, ``interviewer 1``, ``INTERVIEWER 1 :``), and a role word with a typo (``Particpant``) is
read as that word. Labels that look like personal names (``Sam Smith``) never reach the transcript: their
turns are shown under the participant id, or as ``Interviewer``. Errors and ``wisdoms check`` name them as
written, on the user's own screen, so the user can tell which label is meant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..errors import TranscriptError
from ..models import Role, Turn

#: Words that name the interviewer's side of the conversation (compared after :func:`label_key`).
INTERVIEWER_LABELS = {
    "interviewer", "i", "q", "int", "facilitator", "listener", "host", "moderator", "mod", "researcher", "question",
}
#: Words that name the participant's side.
PARTICIPANT_LABELS = {"participant", "p", "r", "a", "respondent", "resp", "interviewee", "answer"}
#: Words that make a role word speech, not a label: "The researcher:", "My facilitator:".
_NOT_QUALIFIERS = {"the", "a", "an", "my", "our", "your", "their", "his", "her", "this", "that", "no", "every"}
#: Labels such as ``Speaker 2`` that name no one but say nothing of the role.
NUMBERED_SPEAKER = re.compile(r"^(?:speaker|spk|person|voice|unknown speaker)\s*[_#-]?\s*\d{1,3}$", re.IGNORECASE)
#: A role word of at least this many letters is recognised with a typo or two (``Particpant``, ``Intervewer``).
NEAR_MISS_LENGTH = 6

#: A speaker is taken as the interviewer when at least this share of their turns end in '?' ...
QUESTION_SHARE = 0.2
#: ... and that share is at least this many times every other speaker's. Interviewers end a quarter to a half
#: of their turns with a question (0.26 to 0.54 in 24 real interviews from two studies), the rest being
#: "Okay.", "Right." and prompts; participants mostly under a tenth (0 to 0.21, the highest a think-aloud
#: participant asking the moderator): who asks *more*, by a clear factor, tells them apart where a fixed bar
#: would not. A participant asking nearly as often leaves it undecided (the error names the lines to add).
QUESTION_RATIO = 2.0

ROLES = ("participant", "interviewer")


@dataclass(frozen=True)
class SpeakerRule:
    """An explicit decision about one speaker label: its role and, for participants, an id."""

    role: Role
    id: str | None = None
    source: str = "speakers.yaml"


@dataclass(frozen=True)
class FileOptions:
    """What the folder's ``speakers.yaml`` says about one file.

    Attributes:
        speakers: Label key (:func:`label_key`) -> rule.
        id_column: Spreadsheets: the column holding respondent ids.
        text_columns: Spreadsheets: the columns holding the respondent's own words.
        source: Where the options came from, for messages.
    """

    speakers: Mapping[str, SpeakerRule] = field(default_factory=dict)
    id_column: str | None = None
    text_columns: tuple[str, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Speaker:
    """The decision for one label: role, participant id, and the name shown on its turns.

    Attributes:
        role: ``participant`` or ``interviewer``.
        participant: The participant id (``None`` for interviewers).
        shown: The name shown on its turns (never a personal name).
        label: The label as first written in the file.
        how: Why it has this role, for ``wisdoms check`` (``speakers.yaml``, ``label``, ``read as ...``,
            ``guessed: ...``).
        turns: How many turns it has.
    """

    role: Role
    participant: str | None
    shown: str
    label: str = ""
    how: str = ""
    turns: int = 0

    def turn(self, start: int, end: int, *, line: int, time: str | None = None) -> Turn:
        """This speaker's turn over ``text[start:end]``, its label on ``line``."""
        return Turn(speaker=self.shown, role=self.role, participant=self.participant, start=start, end=end,
                    line=line, time=time)


class RolesUndecidedError(TranscriptError):
    """The speakers' roles could not be told apart; ``labels`` are the file's speaker labels as written, so a
    folder can settle it from the other files (:func:`recurring_interviewer`)."""

    def __init__(self, message: str, *, labels: Sequence[str], path: Path, hint: str) -> None:
        super().__init__(message, path=path, hint=hint)
        self.labels = tuple(labels)


#: A named label is the study's interviewer when it speaks in at least this many files while the file's other
#: speakers speak in it alone (a team of interviewers shares the files: no share of the folder is asked).
RECURRING_FILES = 3


def recurring_interviewer(labels: Sequence[str], files_of: Mapping[str, int]) -> tuple[str, int] | None:
    """The one label of a file whose roles were undecided that is the study's interviewer: a name (not a role
    word or a number: ``Speaker 1`` is in every file and says nothing) that speaks in several of the folder's
    files (:data:`RECURRING_FILES`) while every other label of the file speaks in this file alone, as a
    researcher interviews many participants, each once. Returns the label as written and its number of files,
    or ``None``.

    Args:
        labels: The file's speaker labels as written.
        files_of: :func:`label_key` -> the number of the folder's files it speaks in.
    """
    keys = {label_key(label): label for label in labels if not is_generic(label)}
    if len(keys) != len({label_key(label) for label in labels}):
        return None
    recurring = [k for k in keys if files_of.get(k, 0) >= RECURRING_FILES]
    if len(recurring) != 1 or any(files_of.get(k, 0) > 1 for k in keys if k != recurring[0]):
        return None
    return keys[recurring[0]], files_of[recurring[0]]


def require_participant(turns: Sequence[Turn], *, path: Path, why: str, hint: str) -> None:
    """Raise unless some turn is a participant's: a file of interviewer speech only has nothing to analyse."""
    if not any(t.role == "participant" for t in turns):
        raise TranscriptError(f"no participant speech: {why}", path=path, hint=hint)


def label_key(label: object) -> str:
    """The form labels are compared in: case folded, spaces collapsed, a trailing ``.`` dropped, and a
    number at the end set off by one space (``Interviewer1``, ``interviewer 1`` and ``INTERVIEWER_1``
    are all ``interviewer 1``; ``P01`` stays ``p 01``, a different label from ``P1``).

    ``label`` may be any YAML scalar (``19:`` in a ``speakers.yaml`` is an int): it is read as text.
    """
    key = " ".join(str(label).replace("\u00a0", " ").split()).casefold().rstrip(".").strip()
    numbered = re.fullmatch(r"(.*?[^\W\d_])[ _#\-]*(\d{1,4})", key)
    if numbered:
        key = f"{numbered.group(1)} {numbered.group(2)}"
    return key


def _word(key: str) -> str:
    """The role word of a label key: ``interviewer 2`` -> ``interviewer``, ``participant b`` -> ``participant``,
    ``interviewer (jb)`` -> ``interviewer``."""
    key = re.sub(r"\s*\([^()]*\)$", "", key) or key
    numbered = re.fullmatch(r"(.+?) \d{1,4}", key) or re.fullmatch(r"(\w{4,}) [a-z]", key)
    return numbered.group(1) if numbered else key


def near_miss(label: str) -> tuple[str | None, tuple[str, ...]]:
    """The role word a mistyped label stands for (``Particpant`` -> ``participant``), and every role word
    it is as near to (two or more: ``Interviewe`` is one letter from ``interviewer`` and ``interviewee``).

    Only words of :data:`NEAR_MISS_LENGTH` letters or more, with the same first letter, one edit away
    (two for words of nine letters or more); an edit is a letter added, dropped, changed or two swapped.
    """
    word = _word(label_key(label))
    if len(word) < NEAR_MISS_LENGTH or not word.isalpha() or word in INTERVIEWER_LABELS | PARTICIPANT_LABELS:
        return None, ()
    limit = 2 if len(word) >= 9 else 1
    close = []
    for candidate in sorted(INTERVIEWER_LABELS | PARTICIPANT_LABELS):
        if len(candidate) < NEAR_MISS_LENGTH or candidate[0] != word[0] or abs(len(candidate) - len(word)) > limit:
            continue
        distance = _edits(word, candidate)
        if distance <= limit:
            close.append((distance, candidate))
    if not close:
        return None, ()
    best = min(d for d, _c in close)
    nearest = tuple(c for d, c in close if d == best)
    roles = {"interviewer" if c in INTERVIEWER_LABELS else "participant" for c in nearest}
    return (nearest[0] if len(roles) == 1 else None), nearest


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein with swaps of neighbours)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def role_of(label: str, speakers: Mapping[str, Any]) -> Role | None:
    """``participant``/``interviewer`` for a speaker label, or ``None`` if unknown.

    ``speakers`` maps labels to a role string or a :class:`SpeakerRule`.
    """
    key = label_key(label)
    for name, rule in speakers.items():
        if label_key(name) == key:
            return rule.role if isinstance(rule, SpeakerRule) else rule
    return builtin_role(label)


def builtin_role(label: str) -> Role | None:
    """The role a conventional label implies, else ``None``.

    ``Interviewer``, ``I``, ``Q``, ``Moderator``, ``Facilitator`` ... are the interviewer's; ``Participant``,
    ``P``, ``R``, ``A``, ``Respondent``, ``Interviewee`` ... the participant's; numbered (``P1``,
    ``Interviewer 2``), in any case, and with a near-miss typo (``Particpant``) alike.
    """
    role = _role_word(label)
    if role is None:
        said = re.fullmatch(r".+?\s*\(([^()]*)\)", label_key(label))
        if said and said.group(1).strip():
            role = _role_word(said.group(1))  # "Speaker 1 (Interviewer)", "Sarah (interviewer)": the role said
    return role


def _role_word(label: str) -> Role | None:
    """The role of a label that is a role word (numbered, qualified or mistyped), not from a bracket."""
    word = _word(label_key(label))
    if word in INTERVIEWER_LABELS:
        return "interviewer"
    if word in PARTICIPANT_LABELS:
        return "participant"
    parts = re.split(r"[ \-]", word)
    last = parts[-1]
    if (len(parts) == 2 and len(last) >= NEAR_MISS_LENGTH and str(label).strip()[:1].isupper()
            and parts[0] not in _NOT_QUALIFIERS):
        # "Peer researcher", "Co-interviewer", "Lead facilitator": a role word qualified by one word, written
        # as a label (capitalised: a wrapped line "mean MODERATOR:" or "a researcher:" is speech)
        if last in INTERVIEWER_LABELS:
            return "interviewer"
        if last in PARTICIPANT_LABELS:
            return "participant"
    nearest, _close = near_miss(label)
    if nearest is not None:
        return "interviewer" if nearest in INTERVIEWER_LABELS else "participant"
    return None


def is_numbered(label: str) -> bool:
    """Whether a label is a bare number (``19``) or a numbered voice (``Speaker 2``): it names no one."""
    key = label_key(label)
    return key.isdigit() or bool(NUMBERED_SPEAKER.match(key))


def is_generic(label: str) -> bool:
    """Whether a label names a role or a number rather than a person (safe to show): not ``Sarah (interviewer)``."""
    return _role_word(label) is not None or is_numbered(label)


def parse_rules(value: object, *, path: Path, line: int | None, where: str) -> dict[str, SpeakerRule]:
    """Validate a ``speakers:`` mapping (label -> ``interviewer`` | ``participant`` | {role, id}).

    Labels are keyed by :func:`label_key`, read as text whatever YAML made of them.

    Raises:
        TranscriptError: The mapping or one of its values is not of that shape.
    """
    example = "e.g. 'speakers: {Jo: interviewer, Sam: participant, Alex: {role: participant, id: P07}}'"
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TranscriptError(f"{where}: 'speakers' must map speaker labels to roles", path=path, line=line, hint=example)
    rules: dict[str, SpeakerRule] = {}
    for label, rule in value.items():
        if isinstance(rule, dict):
            role, pid = rule.get("role", "participant"), rule.get("id")
        else:
            role, pid = rule, None
        role = role.strip().lower() if isinstance(role, str) else role
        if role not in ("participant", "interviewer") or (pid is not None and not str(pid).strip()):
            raise TranscriptError(
                f"{where}: speaker {str(label)!r} has role {rule!r}",
                path=path,
                line=line,
                hint=f"use 'participant', 'interviewer' or {{role: participant, id: P07}}; {example}",
            )
        rules[label_key(label)] = SpeakerRule(role=cast(Role, role), id=None if pid is None else str(pid).strip(),
                                              source="front matter" if "front matter" in where else "speakers.yaml")
    return rules


def resolve_speakers(
    turns: Sequence[tuple[str, str, str]],
    *,
    path: Path,
    rules: Mapping[str, SpeakerRule],
    group: Mapping[str, str] | None = None,
    single_id: str,
    base_id: str,
    notes: list[str] | None = None,
    seen: list[Speaker] | None = None,
) -> dict[str, Speaker]:
    """Decide role, participant id and shown name for every label.

    Args:
        turns: ``(label, speech, where)`` for each turn in order; ``where`` locates it (``line 12``).
        path: The file, for errors.
        rules: Explicit decisions, keyed by :func:`label_key`.
        group: Front-matter ``participants:`` mapping, label -> participant id.
        single_id: The id of the only participant, when there is one (front matter or file name).
        base_id: Prefix for ids invented for the several participants of a group session.
        notes: Decisions worth showing to the user are appended here.
        seen: Every label's :class:`Speaker`, with its turn count, is appended here (``wisdoms check``).

    Returns:
        :func:`label_key` of each label -> :class:`Speaker`.

    Raises:
        TranscriptError: Roles cannot be told apart from the labels or from who asks the questions; the
            message names each label as written and the ``speakers.yaml`` lines that settle it.
    """
    order: dict[str, str] = {}
    where: dict[str, str] = {}
    asked: dict[str, list[int]] = {}
    for label, speech, at in turns:
        key = label_key(label)
        order.setdefault(key, label.strip())
        where.setdefault(key, at)
        counts = asked.setdefault(key, [0, 0])
        counts[0] += speech.rstrip().endswith("?")
        counts[1] += 1
    rules = {label_key(k): v for k, v in rules.items()}
    roles: dict[str, Role | None] = {}
    ids: dict[str, str | None] = {}
    how: dict[str, str] = {}
    for key, label in order.items():
        rule = rules.get(key)
        if rule:
            roles[key], ids[key], how[key] = rule.role, rule.id, rule.source
            continue
        roles[key], ids[key] = builtin_role(label), None
        nearest, _close = near_miss(label)
        how[key] = f"read as {nearest.capitalize()!r}" if roles[key] and nearest else "label"
        if nearest and roles[key]:
            other: Role = "interviewer" if roles[key] == "participant" else "participant"
            _note(notes, f"speaker label {display(label, where[key])} read as {nearest.capitalize()!r} "
                  f"({roles[key]}); if that is wrong, {_settle(path, [(label, other)])}")
    unknown = [k for k in order if roles[k] is None]
    if unknown:
        guessed = _guess_roles(unknown, roles, asked, order, where, path=path, notes=notes)
        how.update({k: f"guessed: {why}" for k, why in guessed.items()})

    participant_keys = [k for k in order if roles[k] == "participant"]
    group = {label_key(k): v for k, v in (group or {}).items()}
    invented = 0
    for key in participant_keys:
        if ids[key]:
            continue
        if key in group:
            ids[key] = group[key]
        elif group and is_generic(order[key]):
            ids[key] = order[key]
        elif len(participant_keys) == 1 or _one_person(participant_keys):
            ids[key] = single_id
        else:
            invented += 1
            ids[key] = f"{base_id}-{order[key].replace(' ', '')}" if is_generic(order[key]) else f"{base_id}-P{invented}"
    named_interviewers = [k for k in order if roles[k] == "interviewer" and not is_generic(order[k])]
    result: dict[str, Speaker] = {}
    for key, label in order.items():
        role = roles[key]
        assert role is not None
        if is_generic(label) and key not in rules:
            shown = label
        elif role == "participant":
            shown = ids[key] or label
        elif len(named_interviewers) > 1 and key in named_interviewers:
            shown = f"Interviewer {named_interviewers.index(key) + 1}"
        else:
            shown = "Interviewer"
        result[key] = Speaker(role=role, participant=ids[key] if role == "participant" else None, shown=shown,
                              label=label, how=how[key], turns=asked[key][1])
    if notes is not None:
        for key, label in order.items():
            if not is_generic(label) and result[key].role == "participant":
                notes.append(f"speaker {display(label, where[key])} shown as {result[key].shown}")
    if seen is not None:
        seen.extend(result.values())
    return result


def _one_person(participant_keys: list[str]) -> bool:
    """Whether the participant labels are one role word written two ways (``Participant`` and its typo
    ``Particpant``): one person, not a group (``P1``, ``P2`` are two)."""
    words = {near_miss(k)[0] or k for k in participant_keys}
    return len(words) == 1 and all(_word(k) == k for k in participant_keys)


def display(label: str, at: str) -> str:
    """A label for a note: as written, so the user can tell which is meant (``'Sam' (line 4)``); numbers and
    role words without the place."""
    label = label.strip()
    return repr(label) if is_generic(label) else f"{label!r} ({at})"


def _settle(path: Path, choices: Sequence[tuple[str, Role]]) -> str:
    """The ``speakers.yaml`` lines that give each label its role, for a hint."""
    import yaml

    spec = path.parent / "speakers.yaml"
    numbered = any(is_numbered(label) for label, _r in choices)
    lines = [yaml.safe_dump({label: role}, allow_unicode=True, width=200).strip() for label, role in choices]
    if numbered:  # numbers and 'Speaker 2' mean someone else in the next file: say it for this file only
        block = f"files:\n  {path.name}:\n    speakers:\n" + "".join(f"      {line}\n" for line in lines)
    else:
        block = "speakers:\n" + "".join(f"  {line}\n" for line in lines)
    return f"add to {spec}:\n" + "\n".join(f"      {row}" for row in block.rstrip().split("\n"))


def _guess_roles(
    unknown: list[str],
    roles: dict[str, Role | None],
    asked: Mapping[str, list[int]],
    order: Mapping[str, str],
    where: Mapping[str, str],
    *,
    path: Path,
    notes: list[str] | None,
) -> dict[str, str]:
    """Give the unknown labels roles, or raise; returns why, for each (for ``wisdoms check``)."""
    shown = ", ".join(display(order[k], where[k]) for k in unknown)
    share = {k: asked[k][0] / asked[k][1] for k in order}
    by_questions = sorted(unknown, key=lambda k: -share[k])
    if any(r == "interviewer" for r in roles.values()):
        for key in unknown:
            roles[key] = "participant"
        settle = _settle(path, [(order[k], "interviewer") for k in unknown[:1]])
        _note(notes, f"{shown}: taken as participant (another speaker is labelled as the interviewer); "
              f"if that is wrong, {settle}")
        return dict.fromkeys(unknown, "another speaker is the interviewer")
    if len(unknown) == 1 and any(r == "participant" for r in roles.values()):
        roles[unknown[0]] = "interviewer"
        settle = _settle(path, [(order[unknown[0]], "participant")])
        _note(notes, f"{shown}: taken as the interviewer (every other speaker is labelled as a participant); "
              f"if that is wrong, {settle}")
        return dict.fromkeys(unknown, "every other speaker is a participant")
    known = [k for k in order if roles[k] is not None]
    if len(unknown) == 1 and not known:
        roles[unknown[0]] = "participant"
        _note(notes, f"{shown}: the only speaker, taken as participant")
        return dict.fromkeys(unknown, "the only speaker")
    best = by_questions[0]
    rest = max((share[k] for k in order if k != best), default=0.0)
    if share[best] >= QUESTION_SHARE and share[best] >= QUESTION_RATIO * rest:
        roles[best] = "interviewer"
        for key in unknown:
            if key != best:
                roles[key] = "participant"
        counts = "; ".join(
            f"{display(order[k], where[k])} {asked[k][0]} of {asked[k][1]} turns end in '?'" for k in order
        )
        _note(
            notes,
            f"roles guessed from who asks the questions: {display(order[best], where[best])} is the "
            f"interviewer, the others participants ({counts}); if that is wrong, say who is who in speakers.yaml",
        )
        return {k: f"asks the questions ({asked[k][0]} of {asked[k][1]} turns end in '?')" if k == best
                else "another speaker asks the questions" for k in unknown}
    written = ", ".join(f"{order[k]!r} ({where[k]}, {asked[k][0]} of {asked[k][1]} turns end in '?')" for k in unknown)
    suggestion: list[tuple[str, Role]] = [(order[k], "interviewer" if i == 0 else "participant")
                                          for i, k in enumerate(by_questions)]
    raise RolesUndecidedError(
        f"cannot tell the interviewer from the participants: the speaker labels {written} are not role words "
        "('Interviewer', 'Participant', 'Q'/'A' ...) and no one speaker asks clearly more of the questions",
        labels=list(order.values()),
        path=path,
        hint=f"say who is who: {_settle(path, suggestion)}",
    )


def _note(notes: list[str] | None, message: str) -> None:
    if notes is not None:
        notes.append(message)
