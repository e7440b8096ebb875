"""``report.md``: the report's sections (:mod:`.document`) as Markdown, for wikis and version control.

A chart becomes the table of its numbers (Markdown has no inline pictures without a file beside it).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .blocks import (
    Block,
    Bullets,
    Facts,
    Figure,
    Heading,
    Para,
    Quote,
    Report,
    Rich,
    ScreenOnly,
    Section,
    Table,
    ThemeSummary,
)
from .view import ReportView, build_view

if TYPE_CHECKING:  # pragma: no cover
    from ..results import Analysis


#: What Markdown could turn into something other than text: raw HTML and autolinks (``<``), the ``]`` that
#: closes a link, image or link definition (before ``(``, ``[`` or ``:``), and a backslash that would escape
#: one of ours. Emphasis and brackets on their own (``[NAME]``, ``[laughs]``) are left as written, so a
#: quote reads in the Markdown source as it was said.
_MARKUP = re.compile(r"\\(?=[!-/:-@\[-`{-~])|<|\](?=[(\[:])")
#: A heading or block quote started by a line of the data.
_LINE_START = re.compile(r"^(\s*)([#>])", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """``text`` shown as itself in Markdown: no link, image, raw HTML (``<script>``, ``<img onerror>``) or
    heading can come from it. Participants' words and every other value from the data go through this;
    CommonMark shows a backslash-escaped character as the character."""
    escaped = _MARKUP.sub(lambda m: "\\" + m.group(), text)
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", escaped)


def code_span(text: str) -> str:
    """``text`` as an inline code span, fenced by more backticks than it holds in a row."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _quote_block(text: str) -> str:
    return "\n".join("> " + line if line.strip() else ">" for line in escape_markdown(text).splitlines())


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def render_markdown(analysis: Analysis, *, group_by: str | None = None, view: ReportView | None = None,
                    document: Report | None = None) -> str:
    """The report as Markdown: the same sections, in the same order, as the HTML page and the Word file."""
    from .document import build_document

    if document is None:
        document = build_document(view or build_view(analysis, group_by=group_by))
    lines = [f"# {escape_markdown(document.title)}", ""]
    for block in document.lead:
        lines += _block(block, 0)
    for section in document.sections:
        lines += _section(section, 0)
    return "\n".join(lines).rstrip("\n") + "\n"


def _rich(parts: Rich) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(escape_markdown(part))
        elif part.style == "hidden":
            continue
        elif part.style == "code":
            out.append(code_span(part.text))
        elif part.style in ("strong", "status"):
            out.append(f"**{escape_markdown(part.text)}**")
        elif part.style == "em":
            out.append(f"*{escape_markdown(part.text)}*")
        else:
            out.append(escape_markdown(part.text))
    return "".join(out)


def _section(section: Section, depth: int) -> list[str]:
    lines = ["#" * (depth + 2) + " " + escape_markdown(section.title), ""]
    for block in section.blocks:
        lines += _block(block, depth)
    return lines


def _block(block: Block, depth: int) -> list[str]:
    if isinstance(block, Section):
        return _section(block, depth + 1)
    if isinstance(block, Para):
        text = _rich(block.parts)
        return [f"> {text}" if block.role == "note" else text, ""]
    if isinstance(block, Heading):
        return ["#" * min(depth + 2 + block.level, 6) + " " + escape_markdown(block.text), ""]
    if isinstance(block, Bullets):
        return [f"{i}. {_rich(item)}" if block.ordered else f"- {_rich(item)}"
                for i, item in enumerate(block.items, start=1)] + [""]
    if isinstance(block, Facts):
        return [f"- {escape_markdown(k)}: {_rich(val)}" for k, val in block.items] + [""]
    if isinstance(block, Table):
        header = "| " + " | ".join(_cell(escape_markdown(h)) for h in block.header) + " |"
        rule = "|" + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.header))) + "|"
        rows = ["| " + " | ".join(_cell(_rich(c)) for c in row) + " |" for row in block.rows]
        return [f"**{escape_markdown(block.caption)}**", "", header, rule, *rows, ""]
    if isinstance(block, Quote):
        note = f" ({escape_markdown(block.note)})" if block.note else ""
        return [_quote_block(block.text), f">\n> — {escape_markdown(block.who) + ', ' if block.who else ''}{code_span(block.citation)}{note}", ""]
    if isinstance(block, Figure):
        return [f"*{escape_markdown(block.caption)}*", "", *_block(block.table, depth)]
    if isinstance(block, ThemeSummary):
        lines = ["#" * min(depth + 3, 6) + " " + _rich(block.title), ""]
        lines += [f"- {_rich(line)}" for line in block.lines] + [""]
        return lines + (_block(block.quote, depth) if block.quote else [])
    if isinstance(block, ScreenOnly):
        return [line for b in block.screen for line in _block(b, depth)]
    raise TypeError(f"no Markdown for {type(block).__name__}")
