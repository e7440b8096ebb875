"""The codebook's ways in and coverage: REFI-QDA project import, and draft codes for uncovered themes."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CODEBOOK, SAMPLE

from wisdoms.cli import main
from wisdoms.codebook import (
    Codebook,
    code_answers,
    load_codebook,
    load_decisions,
    read_answers,
    read_qdpx,
    suggest_codes,
    write_suggestions,
)
from wisdoms.codebook.coverage import MACHINE_NOTE
from wisdoms.codebook.qdpx_import import parse_description
from wisdoms.errors import CodebookError
from wisdoms.ingest import read_folder
from wisdoms.models import Code, Match, Passage, Quote, Records, Theme
from wisdoms.report.language import find_deficit_language

CREATED = "2026-11-20T10:00:00+00:00"


def _validate_qde(xml: bytes, shared_dir: Path | None) -> None:
    """Validate against the official REFI-QDA Project.xsd where ../shared holds it."""
    schema = shared_dir / "refi-qda" / "Project.xsd" if shared_dir else None
    if schema is None or not schema.is_file():
        return
    import xmlschema

    xmlschema.XMLSchema(str(schema)).validate(xml.decode("utf-8"))


@pytest.fixture
def shared_or_none() -> Path | None:
    from conftest import shared_dir

    return shared_dir()


# --- a small run, built by hand (no models): sample transcripts, whole turns as passages ----------------

def _small_run():  # noqa: ANN202
    docs = [d for d in read_folder(SAMPLE) if d.id in ("conversation-02.txt", "conversation-03.txt",
                                                        "conversation-04.txt", "conversation-05.txt")]
    passages = []
    for d in docs:
        for turn in d.participant_turns():
            passages.append(Passage(id=f"{d.id}#{turn.start}-{turn.end}", transcript=d.id, participant=turn.participant,
                                    start=turn.start, end=turn.end, text=d.text[turn.start:turn.end], turn=0))
    phone = [p for p in passages if "phone" in p.text.lower()]
    rest = [p for p in passages if p not in phone][:6]
    book = load_codebook(CODEBOOK)
    first = book.active[0].id
    covered = Theme(id=0, label="Rest", keywords=("file", "worker"), passage_ids=tuple(p.id for p in rest),
                    participants=len({p.participant for p in rest}),
                    quotes=tuple(Quote(p.transcript, p.participant, p.start, p.end, p.text, p.id) for p in rest[:2]),
                    codes=(Match("theme", "0", first, 0.5, "zero-shot", True),))
    # Only one representative quote: the others must be topped up, one per participant.
    uncovered = Theme(id=1, label="Phone, chaotic, online", keywords=("phone", "chaotic", "online", "appointment"),
                      passage_ids=tuple(p.id for p in phone), participants=len({p.participant for p in phone}),
                      quotes=(Quote(phone[0].transcript, phone[0].participant, phone[0].start, phone[0].end,
                                    phone[0].text, phone[0].id),))
    return docs, passages, book, [covered, uncovered], phone


def test_suggestions_for_uncovered_themes_only_with_plain_name_and_quotes_one_per_participant():
    _docs, passages, book, themes, phone = _small_run()
    found = suggest_codes(themes, passages, book, screen=find_deficit_language)
    assert [s.theme for s in found] == [1]
    s = found[0]
    assert "chaotic" not in s.name.lower() and "chaotic" not in s.definition.lower()
    assert s.name == "Phone, online and appointment"
    assert s.id not in {c.id for c in book.codes} and s.id.startswith("new-")
    assert s.participants == len({p.participant for p in phone}) == 4 and s.passages == len(phone)
    assert len(s.quotes) == 3 and len({q.participant for q in s.quotes}) == 3
    assert s.quotes[0].citation == f"{phone[0].transcript}:{phone[0].start}-{phone[0].end}"
    texts = {d.id: d.text for d in _docs}
    assert all(texts[q.transcript][q.start:q.end] == q.text for q in s.quotes)  # verbatim, citation exact
    n = sum("phone" in p.text.lower() for p in phone)
    assert f"phone ({n} of {len(phone)} passages)" in s.definition and s.definition.count(".") >= 1
    assert suggest_codes(themes, passages, book, screen=find_deficit_language) == found  # deterministic


def test_suggested_definition_is_built_from_the_theme_not_its_counts_and_ids_end_on_a_word():
    """A definition says what the theme is about, from its own title and sub-themes (never invented), not how
    many said it; the id is cut at a word boundary; the count of people is the theme's own."""
    from wisdoms.models import SubTheme

    _docs, passages, book, themes, phone = _small_run()
    theme = replace(themes[1], label="“Everybody asked what happened to me, why I left, what is my status”",
                    keywords=("phone", "online", "appointment"), participants=3, touched_by=4,
                    description="A real part of what 3 people said, in 9 passages; 4 touched on it.",
                    subthemes=(SubTheme(id=5, label="“Mental health said they couldn't see me”", passage_ids=(),
                                        participants=2),
                               SubTheme(id=7, label="“I did my grieving on my own, mostly”", passage_ids=(),
                                        participants=2)))
    (s,) = suggest_codes([theme], passages, book, screen=find_deficit_language)
    assert s.definition == ("What people said about “Everybody asked what happened to me, why I left, what is my "
                            "status”, including “Mental health said they couldn't see me” and “I did my grieving on "
                            "my own, mostly”. Words that mark it out: phone, online, appointment.")
    assert "people said, in" not in s.definition and "touched on" not in s.definition
    assert s.id == "new-everybody-asked-what-happened-to-me-why-i-left"  # not "...-why-i-left-w"
    assert (s.participants, s.touched_by) == (3, 4)
    from wisdoms.codebook.coverage import _slug

    assert _slug("x" * 60) == "x" * 48 and _slug("right here now " * 5).endswith("now")


def test_a_theme_titled_by_a_code_and_a_member_phrase_suggests_a_code_named_by_the_phrase():
    """A theme named after a code that no code matches any more (its codebook was edited) is titled with the code's
    name then a member's words: the suggested draft code takes the member's words, not the old code's name with
    quotation marks inside it."""
    from wisdoms.models import Quote

    _docs, passages, book, themes, _phone = _small_run()
    said = Quote(transcript="a.txt", participant="P1", start=0, end=23, text="the nurses were  so kind", passage="p")
    theme = replace(themes[1], label="Staff: “The nurses were so kind”", title_source="code", title_quote=said,
                    codes=())
    (s,) = suggest_codes([theme], passages, book, screen=find_deficit_language)
    assert s.name == "The nurses were so kind" and s.id == "new-the-nurses-were-so-kind"


def test_withdrawn_quotes_rejected_themes_and_name_clashes():
    _docs, passages, book, themes, _phone = _small_run()
    first = suggest_codes(themes, passages, book, screen=find_deficit_language)[0]
    withdrawn = {first.quotes[0].citation}
    again = suggest_codes(themes, passages, book, screen=find_deficit_language, exclude=withdrawn)[0]
    assert withdrawn.isdisjoint(q.citation for q in again.quotes) and len(again.quotes) == 3
    assert suggest_codes([replace(themes[1], status="rejected")], passages, book, screen=find_deficit_language) == []
    clash = Codebook(codes=(*book.codes, Code(id="new-phone-online-and-appointment", name="Phone, online and appointment",
                                                 definition="x")))
    s = suggest_codes(themes, passages, clash, screen=find_deficit_language)[0]
    assert s.name == "Phone, online and appointment (2)" and s.id == "new-phone-online-and-appointment-2"


def test_suggestions_write_as_draft_codes_that_load_and_are_never_matched(tmp_path):
    _docs, passages, book, themes, _phone = _small_run()
    found = suggest_codes(themes, passages, book, screen=find_deficit_language)
    path = write_suggestions(found, tmp_path / "new.yaml", source="run-1", date="2026-11-20", draft=True)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# NOT FOR SHARING") and MACHINE_NOTE in text
    loaded = load_codebook(path)
    code = loaded.get(found[0].id)
    assert code.status == "draft" and loaded.active == ()
    assert code.examples == tuple(q.text for q in found[0].quotes)
    assert "Machine-suggested from theme 1" in code.history[0]["change"]
    assert found[0].quotes[0].citation in code.history[0]["change"]


def _analysis(tmp_path):  # noqa: ANN001, ANN202
    from wisdoms.codebook import coverage
    from wisdoms.models import Unassigned
    from wisdoms.pipeline import Analysis
    from wisdoms.provenance import Provenance

    docs, passages, book, themes, _phone = _small_run()
    in_theme = {pid for t in themes for pid in t.passage_ids}
    unassigned = [Unassigned(p.id, p.transcript, p.participant, p.start, p.end, "outlier") for p in passages
                  if p.id not in in_theme]
    manifest = {"seed": 42, "created": CREATED, "inputs": {"transcripts_folder": str(SAMPLE),
                                                            "codebook": {"path": str(CODEBOOK)}}}
    return Analysis(transcripts=docs, passages=Records.of(Passage, passages), themes=Records.of(Theme, themes),
                    matches=Records.of(Match, []), unassigned=Records.of(Unassigned, unassigned), codebook=book,
                    coverage=coverage(book, passages, [], themes), provenance=Provenance.from_dict(manifest))


def test_reports_and_themes_json_show_the_suggestion(tmp_path):
    from docx import Document

    from wisdoms.report import render_reports

    analysis = _analysis(tmp_path)
    rendered = render_reports(analysis)
    suggested = json.loads(rendered["themes.json"])["codebook"]["suggested_codes"]
    assert [s["theme"] for s in suggested] == [1] and suggested[0]["machine_suggested"] is True
    assert len(suggested[0]["quotes"]) == 3 and suggested[0]["participants"] == 4
    name, quote = suggested[0]["name"], suggested[0]["quotes"][1]["text"]
    html, md = rendered["report.html"], rendered["report.md"]
    coverage_html = html[html.index('id="coverage"'):html.index('id="matrix"')]
    assert 'id="suggested-codes"' in coverage_html and name in coverage_html and "Machine-suggested" in coverage_html
    from markupsafe import escape

    assert str(escape(quote.splitlines()[0])) in coverage_html
    coverage_md = md[md.index("## Codebook coverage"):md.index("## Framework matrix")]
    assert f"#### {name} (from theme 1)" in coverage_md and "Machine-suggested" in coverage_md
    assert f"`{suggested[0]['quotes'][1]['transcript']}:" in coverage_md
    # No leaked Python None: a theme no code matches says so in words.
    assert "None" not in md and "Matched codes: none yet: this theme is a **candidate new code**" in md
    doc = Document(__import__("io").BytesIO(rendered["report.docx"]))
    paragraphs = [p.text for p in doc.paragraphs]
    assert f"{name} (from theme 1)" in paragraphs and any(p.startswith("Suggested definition:") for p in paragraphs)


def test_codebook_suggest_cli_reads_a_run_folder(tmp_path, capsys):
    from wisdoms.report import render_reports, write_rendered

    write_rendered(tmp_path / "run", render_reports(_analysis(tmp_path)))
    out = tmp_path / "new-codes.yaml"
    assert main(["codebook", "suggest", str(tmp_path / "run"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "theme 1: Phone, online and appointment (4 participants, 3 example quotes)" in printed
    loaded = load_codebook(out)
    assert [c.status for c in loaded.codes] == ["draft"] and "NOT FOR SHARING" not in out.read_text(encoding="utf-8")


# --- REFI-QDA import: our own export round-tripped ------------------------------------------------------

def _own_export(tmp_path: Path, book: Codebook) -> tuple[Path, list[dict]]:
    from wisdoms.report.qdpx import build_project, qdpx_bytes
    from wisdoms.report.rundir import RunFolder

    docs = [d for d in read_folder(SAMPLE) if d.id in ("conversation-02.txt", "conversation-03.txt")]
    active = [c.id for c in book.active]
    rows = []
    for i, d in enumerate(docs):
        for j, turn in enumerate(d.participant_turns()[:4]):
            rows.append({"passage": f"{d.id}#{turn.start}-{turn.end}", "transcript": d.id, "start": turn.start,
                         "end": turn.end, "text": d.text[turn.start:turn.end], "theme": "0" if j % 2 else "",
                         "codes": ";".join(active[(i + j) % len(active):(i + j) % len(active) + 1 + j % 2])})
    themes = {"themes": [{"id": 0, "label": "Waiting", "keywords": ["waiting"], "status": "candidate",
                          "participants": 2, "passages": 4}]}
    run = RunFolder(path=tmp_path / "run", themes=themes, passages=rows, manifest={"created": CREATED, "seed": 42})
    project, files = build_project(run, docs, book)
    path = tmp_path / "own.qdpx"
    path.write_bytes(qdpx_bytes(project, files))
    return path, rows


def test_own_export_round_trips_codes_hierarchy_and_coded_passages(tmp_path, shared_or_none):
    book = load_codebook(CODEBOOK)
    retired = replace(book.codes[1], status="retired")
    child = Code(id="child-code", name="A narrower code", definition="Narrower.", parent=book.codes[0].id,
                 include="Only when it is narrow.", exclude="When it is broad.")
    book = Codebook(codes=(book.codes[0], retired, *book.codes[2:], child), name="Starter", version="3")
    path, rows = _own_export(tmp_path, book)
    _validate_qde(zipfile.ZipFile(path).read("project.qde"), shared_or_none)
    result = read_qdpx(path)
    got = {c.name: c for c in result.codebook.codes}
    assert set(got) == {c.name for c in book.codes}  # the themes folder and codebook wrapper are not codes
    assert result.codebook.name == "Starter"
    for code in book.codes:
        mine = got[code.name]
        assert (mine.definition, mine.include, mine.exclude, mine.status) == (
            code.definition, code.include, code.exclude, code.status)
        parent = result.codebook.get(mine.parent).name if mine.parent else None
        assert parent == (book.get(code.parent).name if code.parent else None)
    id_of = {c.name: c.id for c in result.codebook.codes}
    expected = {(f"{r['transcript']}:{r['start']}-{r['end']}", id_of[book.get(c).name], r["text"])
                for r in rows for c in r["codes"].split(";") if c and book.get(c).status == "active"}
    assert {(d.target_id, d.code, d.text) for d in result.decisions} == expected
    assert {(d.verdict, d.who, d.when) for d in result.decisions} == {("confirm", "wisdoms (automatic coding)", CREATED)}
    assert result.skipped_codings["codings to wisdoms theme codes"] == sum(1 for r in rows if r["theme"])
    retired_codings = sum(1 for r in rows for c in r["codes"].split(";") if c == retired.id)
    assert result.skipped_codings.get("codings to retired codes", 0) == retired_codings


# --- REFI-QDA import: a hand-written project in the style of QualCoder / ATLAS.ti ----------------------

G = {  # ATLAS.ti writes upper-case GUIDs; references sometimes come back in lower case
    "user1": "A1B2C3D4-0000-4000-8000-000000000001", "user2": "a1b2c3d4-0000-4000-8000-000000000002",
    "parent": "C0DE0000-0000-4000-8000-000000000001", "child": "C0DE0000-0000-4000-8000-000000000002",
    "bare": "C0DE0000-0000-4000-8000-000000000003", "group": "C0DE0000-0000-4000-8000-000000000004",
    "src1": "50C00000-0000-4000-8000-000000000001", "src2": "50C00000-0000-4000-8000-000000000002",
    "pic": "50C00000-0000-4000-8000-000000000003", "pdf": "50C00000-0000-4000-8000-000000000004",
    "sel1": "5E100000-0000-4000-8000-000000000001", "sel2": "5E100000-0000-4000-8000-000000000002",
    "sel3": "5E100000-0000-4000-8000-000000000003", "c1": "C0D10000-0000-4000-8000-000000000001",
    "c2": "C0D10000-0000-4000-8000-000000000002", "c3": "C0D10000-0000-4000-8000-000000000003",
    "c4": "C0D10000-0000-4000-8000-000000000004",
}
INLINE = "Café queue 🙂 — they rang me back after three weeks. The app kept logging me out."
STORED = "Interviewer: and the phone?\nRespondent: Nobody picks up the phone, you sit on hold for an hour.\n"


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def _other_tool_project(*, selection_end: int | None = None) -> bytes:
    s1 = _span(INLINE, "they rang me back after three weeks")
    s2 = _span(INLINE, "The app kept logging me out.")
    s3 = _span(STORED, "Nobody picks up the phone, you sit on hold for an hour.")
    end1 = s1[1] if selection_end is None else selection_end
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Housing study" origin="QualCoder 3.5"
         creatingUserGUID="{G['user1']}" creationDateTime="2025-02-01T09:00:00Z">
  <Users>
    <User guid="{G['user1']}" name="Amina"/>
    <User guid="{G['user2']}" name="Jo"/>
  </Users>
  <CodeBook><Codes>
    <Code guid="{G['parent']}" name="Waiting" isCodable="true">
      <Description>Waiting for a service to respond.
include: delays, call-backs, queues
exclude: waiting for money (use Benefits)</Description>
      <Code guid="{G['child']}" name="Phone lines" isCodable="true">
        <Description>Trying to reach a service by phone.
Status: needs second coder</Description>
      </Code>
    </Code>
    <Code guid="{G['bare']}" name="Digital" isCodable="true"/>
    <Code guid="{G['group']}" name="Organising" isCodable="false">
      <Code guid="C0DE0000-0000-4000-8000-000000000005" name="Waiting" isCodable="true"/>
    </Code>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{G['src1']}" name="interview 1">
      <PlainTextContent>{INLINE}</PlainTextContent>
      <PlainTextSelection guid="{G['sel1']}" startPosition="{s1[0]}" endPosition="{end1}" creatingUser="{G['user1']}">
        <Coding guid="{G['c1']}" creatingUser="{G['user1']}" creationDateTime="2025-02-02T10:00:00Z">
          <CodeRef targetGUID="{G['parent'].lower()}"/>
        </Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="{G['sel2']}" startPosition="{s2[0]}" endPosition="{s2[1]}">
        <Coding guid="{G['c2']}" creatingUser="{G['user2']}" creationDateTime="2025-02-03T11:00:00Z">
          <CodeRef targetGUID="{G['bare']}"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
    <TextSource guid="{G['src2']}" name="interview 2" plainTextPath="internal://{G['src2']}.txt">
      <PlainTextSelection guid="{G['sel3']}" startPosition="{s3[0]}" endPosition="{s3[1]}" creatingUser="{G['user2']}"
                          creationDateTime="2025-02-04T12:00:00Z">
        <Coding guid="{G['c3']}"><CodeRef targetGUID="{G['child']}"/></Coding>
        <Coding guid="{G['c4']}" creatingUser="{G['user1']}"><CodeRef targetGUID="{G['group']}"/></Coding>
      </PlainTextSelection>
    </TextSource>
    <PictureSource guid="{G['pic']}" name="flyer" path="internal://{G['pic']}.png"/>
    <PDFSource guid="{G['pdf']}" name="leaflet" path="internal://{G['pdf']}.pdf"/>
  </Sources>
</Project>
""".encode()


def _zip(tmp_path: Path, qde: bytes, *, folder: str = "Sources", name: str = "other.qdpx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
        zf.writestr(f"{folder}/{G['src2'].lower()}.txt", STORED.encode("utf-8"))
        zf.writestr(f"{folder}/{G['pic']}.png", b"\x89PNG")
    return path


def test_other_tool_project_imports_codes_offsets_coders_and_skips_non_text(tmp_path, shared_or_none, caplog):
    qde = _other_tool_project()
    _validate_qde(qde, shared_or_none)
    with caplog.at_level("INFO", logger="wisdoms.codebook.qdpx_import"):
        result = read_qdpx(_zip(tmp_path, qde))
    book = result.codebook
    names = [c.name for c in book.codes]
    assert names == ["Waiting", "Phone lines", "Digital", "Organising", "Waiting (Organising)"]
    waiting, phone = book.get("waiting"), book.get("phone-lines")
    assert waiting.definition == "Waiting for a service to respond."
    assert waiting.include == "delays, call-backs, queues" and waiting.exclude.startswith("waiting for money")
    assert phone.parent == "waiting" and book.get("organising").status == "group"
    assert phone.status == "active" and phone.definition.endswith("Status: needs second coder")
    assert "without a description" in book.get("digital").definition and result.undescribed == ("Digital", "Waiting")
    by_code = {d.code: d for d in result.decisions}
    assert set(by_code) == {"waiting", "digital", "phone-lines"}  # the coding to a group code is not an example
    assert by_code["waiting"].text == "they rang me back after three weeks"  # code points, past é and 🙂
    assert (by_code["waiting"].who, by_code["waiting"].when) == ("Amina", "2025-02-02T10:00:00Z")
    assert (by_code["digital"].who, by_code["digital"].target_id) == ("Jo", f"interview 1:{INLINE.index('The app')}-{len(INLINE)}")
    assert by_code["phone-lines"].text == "Nobody picks up the phone, you sit on hold for an hour."
    assert by_code["phone-lines"].who == "Jo" and by_code["phone-lines"].when == "2025-02-04T12:00:00Z"
    assert result.sources == 2 and [n for n, _r in result.skipped_sources] == ["flyer", "leaflet"]
    assert "picture" in result.skipped_sources[0][1] and "skipped source 'leaflet'" in caplog.text
    assert result.skipped_codings == {"codings to group codes": 1}


def test_import_cli_writes_a_codebook_and_decisions_that_code_learn_reads(tmp_path, capsys, fake_embedder):
    lenient = _other_tool_project().replace(b'name="Waiting" isCodable="true"', b'name="Waiting" isCodable="True"')
    project = _zip(tmp_path, lenient, folder="sources")  # "True" is not xs:boolean, but tools write it
    out, decisions = tmp_path / "book.yaml", tmp_path / "decisions.csv"
    assert main(["codebook", "import-qdpx", str(project), "--out", str(out), "--decisions", str(decisions)]) == 0
    printed = capsys.readouterr().out
    assert "3 confirmed examples from 2 text sources by Amina, Jo" in printed and "2 sources skipped" in printed
    assert "flyer: a picture source" in printed and "write a definition for Digital, Waiting" in printed
    book, learned = load_codebook(out), load_decisions(decisions)
    assert len(book) == 5 and {d.code for d in learned} <= {c.id for c in book.active} and len(learned) == 3
    answers = tmp_path / "answers.csv"
    answers.write_text("id,text\na,nobody picks up the phone\nb,the app logs me out\n", encoding="utf-8")
    rows = code_answers(read_answers(answers), book, fake_embedder.encode, decisions=learned)
    assert {r["id"] for r in rows} == {"a", "b"} and len(rows) == 2 * len(book.active)


@pytest.mark.parametrize("mutate, message", [
    (lambda q: q.replace(b"</Project>", b""), "invalid XML"),
    (lambda q: q.replace(b'name="Digital" ', b""), "has no name"),
    (lambda q: q.replace(b'<CodeRef targetGUID="C0DE0000-0000-4000-8000-000000000003"/>',
                         b'<CodeRef targetGUID="C0DE0000-0000-4000-8000-00000000dead"/>'), "not in the codebook"),
])
def test_malformed_projects_fail_naming_the_file_and_line(tmp_path, mutate, message):
    path = _zip(tmp_path, mutate(_other_tool_project()))
    with pytest.raises(CodebookError, match=message) as info:
        read_qdpx(path)
    assert info.value.path == f"{path}/project.qde" and info.value.line


def test_selection_outside_the_text_and_missing_source_file_are_named(tmp_path):
    with pytest.raises(CodebookError, match=r"interview 1.*outside the text's \d+ characters") as info:
        read_qdpx(_zip(tmp_path, _other_tool_project(selection_end=len(INLINE) + 5)))
    assert info.value.line == _other_tool_project().decode().splitlines().index(
        next(ln for ln in _other_tool_project().decode().splitlines() if G["sel1"] in ln)) + 1
    bare = tmp_path / "bare.qdpx"
    with zipfile.ZipFile(bare, "w") as zf:
        zf.writestr("project.qde", _other_tool_project())
    with pytest.raises(CodebookError, match="interview 2.*not in the archive"):
        read_qdpx(bare)
    (tmp_path / "plain.qdpx").write_text("not a zip", encoding="utf-8")
    with pytest.raises(CodebookError, match="not a .qdpx"):
        read_qdpx(tmp_path / "plain.qdpx")
    assert main(["codebook", "import-qdpx", str(tmp_path / "plain.qdpx"), "--out", str(tmp_path / "x.yaml")]) == 2
    assert not (tmp_path / "x.yaml").exists()


def test_description_layouts_parse_the_same():
    paragraphs = "What it is.\n\nInclude: cues\n\nExclude: not this\n\nExamples:\n- one\n- two\n\nId: my-code"
    lines = "What it is.\ninclude: cues\nEXCLUDE: not this\nExamples:\n- one\n- two\nid: my-code"
    for text in (paragraphs, lines):
        fields = parse_description(text)
        assert (fields["definition"], fields["include"], fields["exclude"], fields["examples"], fields["id"]) == (
            "What it is.", "cues", "not this", ["one", "two"], "my-code")


def test_suggested_name_does_not_repeat_a_word_in_another_form():
    _docs, passages, book, themes, _phone = _small_run()
    theme = replace(themes[1], keywords=("phones", "phone", "ringing", "ring", "online"))
    (s,) = suggest_codes([theme], passages, book, screen=find_deficit_language)
    assert s.name == "Phones, ringing and online" and s.keywords == ("phones", "ringing", "online")


def test_project_holding_our_qdc_descriptions_keeps_ids_examples_and_history(tmp_path):
    """A team imports wisdoms' .qdc into its QDA tool, codes, and exports a .qdpx: nothing of the codes is lost."""
    from lxml import etree

    from wisdoms.codebook import qdc_bytes

    book = load_codebook(CODEBOOK)
    codes_xml = etree.tostring(etree.fromstring(qdc_bytes(book)).find("{urn:QDA-XML:codebook:1.0}Codes"))
    qde = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x" '
           b'origin="NVivo 14"><CodeBook>'
           + codes_xml.replace(b"urn:QDA-XML:codebook:1.0", b"urn:QDA-XML:project:1.0") + b"</CodeBook></Project>")
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde)
    again = read_qdpx(path).codebook
    fields = ("id", "name", "definition", "parent", "include", "exclude", "examples", "status", "history")
    assert sorted([getattr(c, f) for f in fields] for c in again.codes) == sorted(
        [getattr(c, f) for f in fields] for c in book.codes)
