"""The README and docs/ hold together: short README, links that resolve, commands that exist.

The README is a user's guide (at most 12,000 characters); method, validation, measurements and
decisions live in ``docs/``. These tests keep that true as both change: every relative link in
the README, CONTRIBUTING.md and ``docs/*.md`` names an existing file (and, with ``#anchor``, an
existing heading, slugged as GitHub does), every docs page is reachable from the README or
``docs/index.md``, and every ``make`` target and ``revlab`` subcommand the README shows exists.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_CHARS = 12_000

FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
SHELL_FENCES = {"", "bash", "sh", "shell", "console", "cron"}


def split_fences(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The prose lines of a Markdown text, and its fenced blocks as (language, body)."""
    prose, blocks, fence, lang, body = [], [], None, "", []
    for line in text.splitlines():
        match = FENCE.match(line.strip())
        if fence is None and match:
            fence, lang, body = match.group(1), match.group(2).strip().lower(), []
        elif fence is not None and line.strip().startswith(fence[0] * len(fence)):
            blocks.append((lang, "\n".join(body)))
            fence = None
        elif fence is not None:
            body.append(line)
        else:
            prose.append(line)
    return prose, blocks


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation dropped, spaces to -."""
    text = INLINE_CODE.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link's text only
    text = re.sub(r"[*]", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, with GitHub's -1, -2 for repeated headings."""
    prose, _ = split_fences(path.read_text(encoding="utf-8"))
    seen: Counter[str] = Counter()
    found = set()
    for line in prose:
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            found.add(f"{base}-{seen[base]}" if seen[base] else base)
            seen[base] += 1
    return found


def relative_links(path: Path) -> list[str]:
    """Link targets in a Markdown file's prose that point inside the repository."""
    prose, _ = split_fences(path.read_text(encoding="utf-8"))
    text = INLINE_CODE.sub("", "\n".join(prose))
    targets = [m.group(1) for m in LINK.finditer(text)]
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.IGNORECASE)]


def broken_links(path: Path) -> list[str]:
    """Each relative link of ``path`` whose file or heading does not exist, with the reason."""
    problems = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            problems.append(f"{path.name}: {target} -> no file {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            problems.append(f"{path.name}: {target} -> no heading #{anchor} in {linked.name}")
    return problems


def code_in(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Inline code spans of a Markdown file's prose, and its fenced blocks."""
    prose, blocks = split_fences(path.read_text(encoding="utf-8"))
    spans = [m.group(2).strip() for m in INLINE_CODE.finditer("\n".join(prose))]
    return spans, blocks


def shown_commands(path: Path, program: str) -> set[str]:
    """The words that follow ``program`` in the shell code a file shows (``make report`` ...)."""
    spans, blocks = code_in(path)
    shell = [s for s in spans if s.startswith(f"{program} ")]
    shell += [body for lang, body in blocks if lang in SHELL_FENCES]
    pattern = re.compile(rf"(?:^|[\s/]){program} ([a-z][a-z-]*)", re.MULTILINE)
    return {m.group(1) for text in shell for m in pattern.finditer(text)}


def makefile_targets() -> set[str]:
    """Targets that ``make help`` lists: the Makefile's ``target: ... ## comment`` lines."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z]+):.*## ", text, re.MULTILINE))


def cli_subcommands(capsys) -> set[str]:
    """Subcommands that ``revlab --help`` lists."""
    from revlab.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    usage = capsys.readouterr().out
    choices = re.search(r"\{([a-z,-]+)\}", usage)
    assert choices, f"no subcommands in revlab --help:\n{usage}"
    return set(choices.group(1).split(","))


def doc_files() -> list[Path]:
    return [README, ROOT / "CONTRIBUTING.md", *sorted(DOCS.glob("*.md"))]


# -- the checks on the repository ------------------------------------------------------------


def test_readme_is_a_short_users_guide():
    n = len(README.read_text(encoding="utf-8"))
    assert n <= README_MAX_CHARS, (
        f"README.md has {n:,} characters, more than {README_MAX_CHARS:,}: move method, "
        "measurements or decisions into a page under docs/ and link it."
    )


@pytest.mark.parametrize("page", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    broken = broken_links(page)
    assert not broken, "\n".join(broken)


def test_readme_and_docs_have_links_to_check():
    assert len(relative_links(README)) >= 5 and len(relative_links(DOCS / "index.md")) >= 5


def test_every_docs_page_is_linked_from_the_readme_or_the_index():
    linked = set()
    for page in (README, DOCS / "index.md"):
        for target in relative_links(page):
            file_part = target.partition("#")[0]
            if file_part:
                linked.add((page.parent / file_part).resolve())
    pages = sorted(DOCS.glob("*.md"))
    assert pages, "docs/ holds no pages"
    orphans = [p.name for p in pages if p.resolve() not in linked]
    assert not orphans, f"docs pages linked from neither README.md nor docs/index.md: {orphans}"


def test_readme_make_targets_exist():
    shown = shown_commands(README, "make")
    assert {"report", "test"} <= shown, f"README shows no `make report` / `make test`: {shown}"
    missing = shown - makefile_targets()
    assert not missing, f"README shows make targets the Makefile lacks: {sorted(missing)}"


def test_readme_revlab_subcommands_exist(capsys):
    shown = shown_commands(README, "revlab")
    assert "report" in shown, f"README shows no `revlab report`: {shown}"
    missing = shown - cli_subcommands(capsys)
    assert not missing, f"README shows revlab subcommands the CLI lacks: {sorted(missing)}"


# -- the checkers themselves catch what they are for ---------------------------------------


def test_slugs_follow_github():
    assert slug("`bench_forecast.py`") == "bench_forecastpy"
    assert slug("Compile flags: precompiled header, `-O1`, `-g0`") == (
        "compile-flags-precompiled-header--o1--g0"
    )
    assert slug("On real series, beside Prophet") == "on-real-series-beside-prophet"
    assert slug("The [data](x.md) contract — now") == "the-data-contract--now"


def test_broken_files_and_anchors_are_reported(tmp_path):
    (tmp_path / "other.md").write_text("# Other page\n\n## Section\n\n## Section\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n\n[ok](other.md#section-1) [here](#title) [web](https://example.com)\n"
        "[gone](missing.md) [no heading](other.md#nowhere) `[code](skipped.md)`\n"
        "```\n[in a block](also-skipped.md)\n# not a heading\n```\n"
    )
    problems = broken_links(page)
    assert len(problems) == 2, problems
    assert "missing.md" in problems[0] and "#nowhere" in problems[1]
    assert "not-a-heading" not in anchors(page)


def test_commands_are_read_from_shell_code_only(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "`leads` make it the funnel model. Run `make report` or `revlab validate --source x`.\n"
        "```bash\n.venv/bin/revlab report --quarter latest\nmake lint\n```\n"
        "```python\nfrom revlab import crm\n```\n"
    )
    assert shown_commands(page, "make") == {"report", "lint"}
    assert shown_commands(page, "revlab") == {"validate", "report"}
