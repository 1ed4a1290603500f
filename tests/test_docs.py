"""The README and the docs: the README stays a short entry point, and every relative link, file path
and API page in README.md, CHANGELOG.md and docs/ points at something that exists.

Plain text checks: no network, no mkdocs (``make docs`` builds the site with ``--strict``).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_LIMIT = 8000
PAGES = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")])

LINK = re.compile(r"!?\[[^\]]*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
#: Repository files named in inline code, e.g. `tests/nn/test_encoder.py` (no globs or placeholders).
CODE_PATH = re.compile(r"^(?:latentcv|tests|bench|examples|models|simulation|docs)/[\w./-]+\.(?:py|md|yaml|xml|pdb)$")


def _prose(text: str) -> list[str]:
    """The lines of a Markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def _slug(heading: str) -> str:
    """The anchor of a heading as mkdocs' toc extension (and GitHub, for these headings) writes it."""
    text = INLINE_CODE.sub(lambda m: m.group(0)[1:-1], heading).strip().lower()
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[-\s]+", "-", text).strip("-")


def _anchors(page: Path) -> set[str]:
    return {_slug(line.lstrip("#")) for line in _prose(page.read_text()) if re.match(r"#{1,6}\s", line)}


def _links(page: Path) -> list[str]:
    found = []
    for line in _prose(page.read_text()):
        found += LINK.findall(INLINE_CODE.sub("", line))
    return found


def _name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def test_the_readme_is_short() -> None:
    size = len((ROOT / "README.md").read_text())
    assert size <= README_LIMIT, (f"README.md has {size} characters, more than {README_LIMIT}: it is the door; "
                                  "move the detail to a page in docs/")


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for link in _links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto:
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
            broken.append(f"{link}: no heading with anchor #{anchor}")
    assert not broken, f"{_name(page)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_named_repository_files_exist(page: Path) -> None:
    """Paths such as `tests/engines/test_export.py` in inline code: a moved file must be renamed here too."""
    missing = []
    for line in _prose(page.read_text()):
        for code in INLINE_CODE.findall(line):
            path = code.strip("`").strip()
            if CODE_PATH.match(path) and not (ROOT / path).exists():
                missing.append(path)
    assert not missing, f"{_name(page)} names files that do not exist: {', '.join(sorted(set(missing)))}"


def test_api_pages_name_existing_modules() -> None:
    missing = []
    for page in sorted((ROOT / "docs" / "api").glob("*.md")):
        for module in re.findall(r"^::: ([\w.]+)", page.read_text(), flags=re.MULTILINE):
            base = ROOT.joinpath(*module.split("."))
            if not (base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()):
                missing.append(f"{_name(page)}: {module}")
    assert not missing, "API pages document modules that do not exist: " + ", ".join(missing)


def test_every_docs_page_is_in_the_mkdocs_nav() -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    pages = [p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")]
    absent = [p for p in pages if not re.search(rf":\s*{re.escape(p)}\s*$", config, flags=re.MULTILINE)]
    assert not absent, f"docs pages missing from mkdocs.yml's nav: {', '.join(sorted(absent))}"
