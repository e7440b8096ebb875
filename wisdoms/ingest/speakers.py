"""Who is speaking: speaker labels -> roles, participant ids and the name shown for each turn.

Every reader turns its file into speaker labels and spans of speech, then calls :func:`resolve_speakers`.
Roles come, in order, from an explicit rule (``speakers.yaml`` beside the transcripts, or the file's
front matter ``speakers:``), from the label itself (``Interviewer``, ``I``, ``P1`` ...), and last from
who asks the questions (the share of a speaker's turns that end in ``?``). Guesses are reported as notes
so the user sees them and can override them.

Labels that look like personal names (``Sam Smith``) never leave this module: their turns are shown
under the participant id, or as ``Interviewer``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TranscriptError
from ..models import Role, Turn

INTERVIEWER_LABELS = {
    "interviewer", "i", "q", "int", "facilitator", "listener", "host", "moderator",
    "researcher", "question", "interviewer 1", "interviewer 2",
}
PARTICIPANT_LABELS = {"participant", "p", "r", "a", "respondent", "interviewee", "answer"}
_NUMBERED_PARTICIPANT = re.compile(r"^(?:p|participant|r|respondent)\s*\d{1,3}$", re.IGNORECASE)
#: Labels such as ``Speaker 2`` that name no one but say nothing of the role.
NUMBERED_SPEAKER = re.compile(r"^(?:speaker|spk|person|voice|unknown speaker)\s*\d{1,3}$", re.IGNORECASE)

#: A speaker is taken as the interviewer when at least this share of their turns end in '?' ...
QUESTION_SHARE = 0.4
#: ... and that share is this much higher than every other speaker's.
QUESTION_MARGIN = 0.2

ROLES = ("participant", "interviewer")


@dataclass(frozen=True)
class SpeakerRule:
    """An explicit decision about one speaker label: its role and, for participants, an id."""

    role: Role
    id: str | None = None


@dataclass(frozen=True)
class FileOptions:
    """What the folder's ``speakers.yaml`` says about one file.

    Attributes:
        speakers: Lower-cased label -> rule.
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
    """The decision for one label: role, participant id, and the name shown on its turns."""

    role: Role
    participant: str | None
    shown: str

    def turn(self, start: int, end: int, *, line: int, time: str | None = None) -> Turn:
        """This speaker's turn over ``text[start:end]``, its label on ``line``."""
        return Turn(speaker=self.shown, role=self.role, participant=self.participant, start=start, end=end,
                    line=line, time=time)


def require_participant(turns: Sequence[Turn], *, path: Path, why: str, hint: str) -> None:
    """Raise unless some turn is a participant's: a file of interviewer speech only has nothing to analyse."""
    if not any(t.role == "participant" for t in turns):
        raise TranscriptError(f"no participant speech: {why}", path=path, hint=hint)


def role_of(label: str, speakers: Mapping[str, Any]) -> Role | None:
    """``participant``/``interviewer`` for a speaker label, or ``None`` if unknown.

    ``speakers`` maps labels to a role string or a :class:`SpeakerRule`.
    """
    key = label.strip().lower()
    for name, rule in speakers.items():
        if name.strip().lower() == key:
            return rule.role if isinstance(rule, SpeakerRule) else rule  # type: ignore[return-value]
    return builtin_role(label)


def builtin_role(label: str) -> Role | None:
    """The role a conventional label implies (``Interviewer``, ``I``, ``P1``), else ``None``."""
    key = label.strip().lower()
    if key in INTERVIEWER_LABELS:
        return "interviewer"
    if key in PARTICIPANT_LABELS or _NUMBERED_PARTICIPANT.match(key):
        return "participant"
    return None


def is_generic(label: str) -> bool:
    """Whether a label names a role or a number rather than a person (safe to show)."""
    return builtin_role(label) is not None or bool(NUMBERED_SPEAKER.match(label.strip()))


def parse_rules(value: object, *, path: Path, line: int | None, where: str) -> dict[str, SpeakerRule]:
    """Validate a ``speakers:`` mapping (label -> ``interviewer`` | ``participant`` | {role, id}).

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
        if role not in ROLES or (pid is not None and not str(pid).strip()):
            raise TranscriptError(
                f"{where}: speaker {label!r} has role {rule!r}",
                path=path,
                line=line,
                hint=f"use 'participant', 'interviewer' or {{role: participant, id: P07}}; {example}",
            )
        rules[str(label).strip().lower()] = SpeakerRule(role=role, id=None if pid is None else str(pid).strip())
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
) -> dict[str, Speaker]:
    """Decide role, participant id and shown name for every label.

    Args:
        turns: ``(label, speech, where)`` for each turn in order; ``where`` locates it (``line 12``).
        path: The file, for errors.
        rules: Explicit decisions, keyed by lower-cased label.
        group: Front-matter ``participants:`` mapping, lower-cased label -> participant id.
        single_id: The id of the only participant, when there is one (front matter or file name).
        base_id: Prefix for ids invented for the several participants of a group session.
        notes: Decisions worth showing to the user are appended here.

    Returns:
        Lower-cased label -> :class:`Speaker`.

    Raises:
        TranscriptError: Roles cannot be told apart from the labels or from who asks the questions.
    """
    order: dict[str, str] = {}
    where: dict[str, str] = {}
    asked: dict[str, list[int]] = {}
    for label, speech, at in turns:
        key = label.strip().lower()
        order.setdefault(key, label.strip())
        where.setdefault(key, at)
        counts = asked.setdefault(key, [0, 0])
        counts[0] += speech.rstrip().endswith("?")
        counts[1] += 1
    roles: dict[str, Role | None] = {}
    ids: dict[str, str | None] = {}
    for key, label in order.items():
        rule = rules.get(key)
        roles[key] = rule.role if rule else builtin_role(label)
        ids[key] = rule.id if rule else None
    unknown = [k for k in order if roles[k] is None]
    if unknown:
        _guess_roles(unknown, roles, asked, order, where, path=path, notes=notes)

    participant_keys = [k for k in order if roles[k] == "participant"]
    group = {k.lower(): v for k, v in (group or {}).items()}
    invented = 0
    for key in participant_keys:
        if ids[key]:
            continue
        if key in group:
            ids[key] = group[key]
        elif group and is_generic(order[key]):
            ids[key] = order[key]
        elif len(participant_keys) == 1:
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
        result[key] = Speaker(role=role, participant=ids[key] if role == "participant" else None, shown=shown)
    if notes is not None:
        for key, label in order.items():
            if not is_generic(label) and result[key].role == "participant":
                notes.append(f"speaker {display(label, where[key])} shown as {result[key].shown}")
    return result


def display(label: str, at: str) -> str:
    """A label as it may be shown: generic labels as written, names masked (``S*** (line 4)``)."""
    label = label.strip()
    return repr(label) if is_generic(label) else f"'{label[0]}***' ({at})"


def _guess_roles(
    unknown: list[str],
    roles: dict[str, Role | None],
    asked: Mapping[str, list[int]],
    order: Mapping[str, str],
    where: Mapping[str, str],
    *,
    path: Path,
    notes: list[str] | None,
) -> None:
    shown = ", ".join(display(order[k], where[k]) for k in unknown)
    example = order[unknown[0]] if is_generic(order[unknown[0]]) else "<the name as written>"
    hint = (
        "say who is who in a 'speakers.yaml' beside the transcripts (or in the file's front matter), "
        f"e.g. 'speakers: {{{example}: interviewer}}'"
    )
    if any(r == "interviewer" for r in roles.values()):
        for key in unknown:
            roles[key] = "participant"
        _note(notes, f"{shown}: taken as participant (another speaker is labelled as the interviewer); {hint}")
        return
    known = [k for k in order if roles[k] is not None]
    if len(unknown) == 1 and not known:
        roles[unknown[0]] = "participant"
        _note(notes, f"{shown}: the only speaker, taken as participant")
        return
    share = {k: asked[k][0] / asked[k][1] for k in order}
    best = max(unknown, key=lambda k: share[k])
    rest = max((share[k] for k in order if k != best), default=0.0)
    if share[best] >= QUESTION_SHARE and share[best] - rest >= QUESTION_MARGIN:
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
            f"interviewer, the others participants ({counts}); {hint}",
        )
        return
    raise TranscriptError(
        f"unknown speakers {shown}: cannot tell the interviewer from the participants "
        "(the labels are not 'Interviewer'/'Participant' and no one speaker asks most of the questions)",
        path=path,
        hint=hint,
    )


def _note(notes: list[str] | None, message: str) -> None:
    if notes is not None:
        notes.append(message)
