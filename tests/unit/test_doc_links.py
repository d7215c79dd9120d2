"""The docs stand alone: every link in README.md and docs/ resolves inside the repository.

A clone is all a newcomer or an evaluator has. A link to a file outside the repository (the
requirement documents the project was built from, someone's home folder) is a dead end for
them, so the docs hold the contract in ``docs/contract/`` and link there. Checked here:

- every markdown link ``[text](target)`` that is not a web address: the target exists inside
  the repository, and an anchor ``#part`` names a heading of the target;
- every backticked file path (``docs/EVALUATOR_GUIDE.md``, ``tests/oracle/rules.py``): it
  exists, read from the repository root, the document's folder or a package root the docs use
  as their base (``include/``, ``include/fangpin/``, ``dbt_project/``);
- no document, model description or code comment points at the requirement folder the
  project was written against;
- the Chinese terms that ``docs/contract/GLOSSARY.md`` lists as not used appear nowhere in the
  docs, the dbt descriptions and the report;
- the feed tables of ``docs/contract/FEEDS.md`` say what ``fangpin.feeds.contracts`` declares
  (columns, Chinese headers, kinds, required, enum codes and labels), so the contract a reader
  sees is the one the loader applies.

Web links are not fetched: the suite runs offline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from fangpin.feeds.contracts import FEEDS, Feed

ROOT = Path(__file__).resolve().parents[2]

#: Folders a backticked path in the docs may be relative to, besides the document's own.
PATH_BASES = (ROOT, ROOT / "include", ROOT / "include" / "fangpin", ROOT / "dbt_project")

#: File endings that make a backticked word a path to check (not a column or a command).
PATH_SUFFIXES = (".md", ".py", ".sql", ".yml", ".yaml", ".csv", ".json", ".toml", ".cfg")

#: Where the tools write their output (ignored by git): a doc may name a file there.
GENERATED = (".bench/", "out/", ".warehouse/", "dbt_project/target/", "expectations/uncommitted/")

#: The requirement folder outside the repository, spelt so that this file does not match.
OUTSIDE_SPEC = "shared" + "/spec"

MD_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
BACKTICKED = re.compile(r"`(?P<code>[^`\n]+)`")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Link:
    """One reference found in a document: where it is and what it points at."""

    doc: Path
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}: {self.target}"


def documents() -> list[Path]:
    """README.md and every markdown file under docs/: what a reader of a clone opens."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _without_fences(text: str) -> str:
    """The text with fenced code blocks blanked (lines kept, so line numbers stay right)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def markdown_links(doc: Path) -> list[Link]:
    """The markdown links of ``doc`` outside code blocks and code spans."""
    text = _without_fences(doc.read_text(encoding="utf-8"))
    spans_blanked = BACKTICKED.sub(lambda m: " " * len(m.group(0)), text)
    return [
        Link(doc, _line_of(text, m.start()), m.group("target"))
        for m in MD_LINK.finditer(spans_blanked)
    ]


def backticked_paths(doc: Path) -> list[Link]:
    """Backticked words of ``doc`` that look like a file path: a ``/`` and a file ending.

    Templates and globs (``landing/<YYYY-MM>/<feed>/*.csv``) and ``path::name`` test ids
    are paths of another kind; the first is skipped, the second checked for its file. The
    text of a markdown link (``[`MARTS.md`](contract/MARTS.md)``) is skipped: its target is
    what the reader opens, and that is checked as a link.
    """
    text = doc.read_text(encoding="utf-8")
    found = []
    for m in BACKTICKED.finditer(text):
        if text[m.start() - 1 : m.start()] == "[" and text[m.end() : m.end() + 2] == "](":
            continue
        code = m.group("code").strip().split("::")[0]
        if " " in code or any(c in code for c in "<>*{}$|"):
            continue
        if ("/" in code or code.endswith(".md")) and code.endswith(PATH_SUFFIXES):
            found.append(Link(doc, _line_of(text, m.start()), code))
    return found


def heading_anchors(doc: Path) -> set[str]:
    """The anchors a renderer gives the headings of ``doc`` (GitHub's rule).

    Lower case, punctuation dropped except hyphens, spaces made hyphens; Chinese characters
    are word characters and stay.
    """
    text = _without_fences(doc.read_text(encoding="utf-8"))
    anchors = set()
    for m in HEADING.finditer(text):
        title = re.sub(r"`|\*\*|\[|\]\([^)]*\)", "", m.group("title")).strip().lower()
        anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def _inside(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


def link_problem(link: Link) -> str | None:
    """Why ``link`` does not resolve inside the repository, or None when it does."""
    target = link.target
    if re.match(r"^(https?|mailto):", target):
        return None
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith(("/", "~")):
        return "an absolute location, not a path inside the repository"
    path_part, _, anchor = target.partition("#")
    resolved = (link.doc.parent / path_part).resolve() if path_part else link.doc
    if not _inside(resolved):
        return "leaves the repository"
    if not resolved.exists():
        return "no such file in the repository"
    if anchor and resolved.suffix == ".md" and anchor.lower() not in heading_anchors(resolved):
        return f"no heading #{anchor} in {resolved.relative_to(ROOT)}"
    return None


def path_problem(link: Link) -> str | None:
    """Why a backticked path names no file of the repository, or None when it does."""
    target = link.target
    if target.startswith(("/", "~")) or OUTSIDE_SPEC in target:
        return "outside the repository"
    if target.startswith(GENERATED):
        return None
    for base in (link.doc.parent, *PATH_BASES):
        candidate = (base / target).resolve()
        if _inside(candidate) and candidate.exists():
            return None
    return "no such file in the repository"


def test_the_documents_are_found() -> None:
    """The checks below read the documents they mean to (a typo in a glob passes nothing)."""
    docs = documents()
    assert ROOT / "README.md" in docs and ROOT / "docs" / "EVALUATOR_GUIDE.md" in docs
    assert any(markdown_links(doc) for doc in docs)


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_markdown_link_resolves_inside_the_repository(doc: Path) -> None:
    """A link a reader clicks in a clone opens a file of the clone."""
    broken = [f"{link} ({why})" for link in markdown_links(doc) if (why := link_problem(link))]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_backticked_path_names_a_file_of_the_repository(doc: Path) -> None:
    """A file a document names by its path is there to open."""
    broken = [f"{link} ({why})" for link in backticked_paths(doc) if (why := path_problem(link))]
    assert not broken, "\n".join(broken)


def test_nothing_points_at_the_outside_requirement_folder() -> None:
    """Docs, model descriptions and comments name the project's own contract files."""
    roots = ["README.md", "docs", "dbt_project", "include", "dags", "tests", "expectations"]
    suffixes = {".md", ".py", ".sql", ".yml", ".yaml", ".json", ".toml"}
    files = [ROOT / "README.md"] + [
        path
        for name in roots[1:]
        for path in (ROOT / name).rglob("*")
        if path.suffix in suffixes and "target" not in path.relative_to(ROOT).parts
    ]
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in files
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE_SPEC in line
    ]
    assert not hits, "\n".join(hits)


def test_the_checks_catch_what_they_are_for(tmp_path: Path) -> None:
    """Each kind of bad reference is reported, and good ones are not."""
    doc = ROOT / "docs" / "EVALUATOR_GUIDE.md"
    bad = ["../../" + OUTSIDE_SPEC + "/MARTS.md", "/etc/hosts", "file:///tmp/x.md",
           "missing.md", "EVALUATOR_GUIDE.md#no-such-heading"]
    assert all(link_problem(Link(doc, 1, t)) for t in bad)
    good = ["https://example.org/x", "evaluator_questions/", "../README.md", "#1-connecting"]
    assert [t for t in good if link_problem(Link(doc, 1, t))] == []
    assert path_problem(Link(doc, 1, "../" + OUTSIDE_SPEC + "/MARTS.md"))
    assert path_problem(Link(doc, 1, "docs/NOWHERE.md"))
    assert path_problem(Link(doc, 1, "tests/oracle/rules.py")) is None
    assert path_problem(Link(doc, 1, "fangpin/feeds/contracts.py")) is None
    sample = tmp_path / "s.md"
    sample.write_text(
        "[a](x.md) `b/c.py` `[f](g.md)` [`h/i.md`](j.md)\n```\n[d](e.md)\n```\n", encoding="utf-8"
    )
    assert [link.target for link in markdown_links(sample)] == ["x.md", "j.md"]
    assert [link.target for link in backticked_paths(sample)] == ["b/c.py"]


FEED_HEADING = re.compile(r"^### (?P<feed>\w+): .*\((?P<title>[^()]+)\)\s*$", re.MULTILINE)
CODE_LABEL = re.compile(r"`(?P<code>[^`]+)` (?P<label>[^\s·(]+)")


def documented_feeds() -> dict[str, tuple[str, list[list[str]]]]:
    """Per feed heading of docs/contract/FEEDS.md: its Chinese title and its table's rows."""
    text = (ROOT / "docs" / "contract" / "FEEDS.md").read_text(encoding="utf-8")
    headings = list(FEED_HEADING.finditer(text))
    feeds = {}
    for m, after in zip(headings, [*headings[1:], None], strict=True):
        section = text[m.end() : after.start() if after else len(text)]
        rows = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines()
            if line.startswith("|")
        ]
        feeds[m.group("feed")] = (m.group("title"), rows[2:])  # after header and rule
    return feeds


def declared_rows(feed: Feed) -> list[tuple[str, str, str, str, list[tuple[str, str]]]]:
    """What the contract declares for each column, in the documented table's terms."""
    rows = []
    for col in feed.columns:
        required = "yes" if col.required else ("if" if col.required_if else "no")
        codes = [(code.code, code.labels[0]) for code in col.codes]
        rows.append((col.name, col.chinese, str(col.kind), required, codes))
    return rows


def test_the_feeds_contract_doc_says_what_the_loader_declares() -> None:
    """Every feed, column, Chinese header, kind, required flag, enum code and label."""
    documented = documented_feeds()
    assert list(documented) == list(FEEDS)
    for name, feed in FEEDS.items():
        title, rows = documented[name]
        assert title == feed.title, name
        seen = [
            (column, chinese, kind, "if" if required.startswith("if ") else required,
             [(m.group("code"), m.group("label")) for m in CODE_LABEL.finditer(values)])
            for column, chinese, kind, required, values in rows
        ]
        assert seen == declared_rows(feed), name


def unused_terms() -> list[tuple[str, list[str]]]:
    """The glossary's "Terms not used" table: each rejected term and the terms to use instead."""
    text = (ROOT / "docs" / "contract" / "GLOSSARY.md").read_text(encoding="utf-8")
    section = text.split("## Terms not used", 1)[1]
    pairs = []
    for line in section.splitlines()[1:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("not used", "---"):
            pairs.append((cells[0], re.findall(r"[\u4e00-\u9fff]+", cells[1])))
    return pairs


def rejected_uses(text: str, rejected: str, chosen: list[str]) -> list[int]:
    """Offsets of ``rejected`` in ``text`` that are not part of one of the ``chosen`` terms."""
    offsets = []
    start = text.find(rejected)
    while start >= 0:
        inside = any(
            text[start - term.index(rejected) : start - term.index(rejected) + len(term)] == term
            for term in chosen
            if rejected in term and start >= term.index(rejected)
        )
        if not inside:
            offsets.append(start)
        start = text.find(rejected, start + 1)
    return offsets


def test_one_chinese_term_per_idea() -> None:
    """A reader meets one word for an idea: the glossary's, not an older or looser one."""
    pairs = unused_terms()
    assert ("漏识别", ["应纳未纳"]) in pairs
    suffixes = {".md", ".yml", ".sql", ".csv", ".py"}
    files = [
        ROOT / "README.md",
        *(p for p in (ROOT / "docs").rglob("*") if p.suffix in suffixes),
        *(p for p in (ROOT / "dbt_project").rglob("*") if p.suffix in suffixes),
        *(ROOT / "include" / "fangpin" / "report").rglob("*.py"),
    ]
    contract = ROOT / "docs" / "contract"
    hits = []
    for path in files:
        if path.is_relative_to(contract) or "target" in path.relative_to(ROOT).parts:
            continue
        text = path.read_text(encoding="utf-8")
        for rejected, chosen in pairs:
            for offset in rejected_uses(text, rejected, chosen):
                hits.append(f"{path.relative_to(ROOT)}:{_line_of(text, offset)}: {rejected}")
    assert not hits, "\n".join(hits)


def test_a_chosen_term_is_not_taken_for_a_rejected_one() -> None:
    """风险消除后返贫 holds 消除后返贫, and 问题整改率 holds 整改率: neither is a hit."""
    assert rejected_uses("风险消除后返贫; 消除后返贫", "消除后返贫", ["风险消除后返贫"]) == [9]
    assert rejected_uses("问题整改率 整改率", "整改率", ["问题整改率"]) == [6]
    assert rejected_uses("县级考核权重", "县级考核", ["县级考核评分表", "县级考核权重"]) == []
