"""The documentation holds together: every relative link in README.md, CONTRIBUTING.md, docs/*.md and the READMEs
under local/ leads to a file or folder that exists, every #anchor into a markdown page names one of its headings
(GitHub's slugs), and the README stays a front page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "local").glob("**/README.md")),
]
README_MAX_LINES = 150

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.DOTALL | re.MULTILINE)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(?P<title>.+?)\s*#*\s*$", re.MULTILINE)
_EXTERNAL = ("http://", "https://", "mailto:")


def _prose(markdown: str) -> str:
    """The text outside fenced code blocks, with brackets and parentheses inside code spans blanked: code is no link."""
    text = _FENCE.sub("", markdown)
    return _CODE_SPAN.sub(lambda span: re.sub(r"[\[\]()]", " ", span.group(0)), text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text lowercased, punctuation but - and _ dropped, spaces as -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor, a repeated one numbered -1, -2, … as GitHub does."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for match in _HEADING.finditer(_FENCE.sub("", markdown)):
        base = slug(match["title"])
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    return [match["target"] for match in _LINK.finditer(_prose(page.read_text()))]


def broken_links(page: Path) -> list[str]:
    """Each relative link of the page whose file, folder or heading is missing, with the reason."""
    broken = []
    for target in links(page):
        if target.startswith(_EXTERNAL):
            continue
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{target}: no such file or folder")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination.read_text()):
            broken.append(f"{target}: no heading #{anchor} in {destination.name}")
    return broken


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_a_heading_anchor_follows_githubs_slug_rules() -> None:
    # given headings with code, punctuation, an arrow and a repeat
    markdown = "# What `make up` runs\n## What changed, before → after\n## Operations\n### Operations\n"
    # when their anchors are made
    found = anchors(markdown)
    # then they are GitHub's
    assert found == {"what-make-up-runs", "what-changed-before--after", "operations", "operations-1"}


def test_a_missing_file_or_heading_is_reported_and_code_and_web_links_are_not_checked(tmp_path: Path) -> None:
    # given a page beside one other page, linking well and badly, with link-like text in code
    (tmp_path / "other.md").write_text("# Other page\n## Its part\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n"
        "[fine](other.md) [part](other.md#its-part) [here](#page) ![shot](other.md) [web](https://example.com/x)\n"
        "[gone](missing.md) [no part](other.md#no-such-part)\n"
        "`[in code](nowhere.md)`\n"
        "```\n[in a block](nowhere.md)\n```\n"
    )
    # when its links are checked
    broken = broken_links(page)
    # then exactly the two bad ones are named
    assert broken == [
        "missing.md: no such file or folder",
        "other.md#no-such-part: no heading #no-such-part in other.md",
    ]


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_every_relative_link_of_a_page_leads_to_an_existing_file_folder_or_heading(page: Path) -> None:
    # given a page of the documentation
    assert page.exists()
    # when each of its relative links is followed
    broken = broken_links(page)
    # then each one arrives
    assert broken == []


def test_the_readme_links_to_every_docs_page_and_each_page_links_back() -> None:
    # given the docs pages
    pages = sorted((ROOT / "docs").glob("*.md"))
    assert pages
    # when the README's links and each page's links are read
    from_readme = {(ROOT / target.partition("#")[0]).resolve() for target in links(ROOT / "README.md")}
    # then the README maps every page, and every page starts with its title and a way back
    for page in pages:
        assert page.resolve() in from_readme, _name(page)
        title, reader = page.read_text().split("\n")[:2]
        assert title.startswith("# "), _name(page)
        assert "For " in reader, _name(page)
        assert "../README.md" in links(page), _name(page)


def test_the_readme_is_a_front_page_of_at_most_150_lines() -> None:
    # given the README
    text = (ROOT / "README.md").read_text()
    # when its lines are counted
    count = len(text.splitlines())
    # then it fits the front page
    assert count <= README_MAX_LINES
