"""The documentation stays navigable and current.

* README.md starts with the two commands, and stays short (at most 15,000 bytes).
* Every relative link in README.md and docs/*.md resolves to a file that exists,
  and a `#anchor` to a heading of that file (GitHub's slug rules).
* Every doc in docs/ is linked from README.md or docs/architecture.md.
* Every environment variable the code reads is named in docs/configuration.md,
  and every channel id in docs/channels.md.

The checker itself is tested on small documents first, so a check that could
never fail would show here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_BYTES = 15_000

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (headings and links there are code, not markdown)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text as rendered, lower case, punctuation
    other than '-' and '_' dropped, each space a '-' (runs are not collapsed)."""
    text = _CODE_SPAN.sub(lambda match: match.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link or image: its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = text.replace("*", "")  # emphasis
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor; a repeated one gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    result = set()
    for line in prose_lines(text):
        match = _HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def links(text: str) -> list[str]:
    """Targets of the inline links and images outside code."""
    targets = []
    for line in prose_lines(text):
        line = _CODE_SPAN.sub("", line)
        targets.extend(match.group(1) for match in _LINK.finditer(line))
    return targets


def broken_links(document: Path) -> list[str]:
    """Each relative link of the document that leads nowhere, with the reason."""
    problems = []
    for target in links(document.read_text(encoding="utf-8")):
        if _EXTERNAL.match(target):
            continue  # http(s), mailto: not checked here
        path_part, _, anchor = target.partition("#")
        destination = (document.parent / path_part).resolve() if path_part else document
        if not destination.exists():
            problems.append(f"{target}: {destination} does not exist")
            continue
        if anchor and destination.suffix == ".md" and anchor not in anchors(destination.read_text(encoding="utf-8")):
            problems.append(f"{target}: no heading with the anchor #{anchor} in {destination.name}")
    return problems


def documents() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


# --- the checker, on small documents ----------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("What this is", "what-this-is"),
        ("CRM — Cepat Respon Masyarakat, serverless", "crm--cepat-respon-masyarakat-serverless"),
        ("Partner webhooks (JAKI, Qlue): how to sign a report", "partner-webhooks-jaki-qlue-how-to-sign-a-report"),
        ("WhatsApp Cloud API (`whatsapp`)", "whatsapp-cloud-api-whatsapp"),
        ("Body size: why 4.5 MB", "body-size-why-45-mb"),
        ("SMS LAPOR 1708 (`sms_1708`, `whatsapp`)", "sms-lapor-1708-sms_1708-whatsapp"),
        ("Monthly cost curve (DynamoDB + Lambda + SNS/SQS)", "monthly-cost-curve-dynamodb--lambda--snssqs"),
        ("**Bold** and [a link](x.md)", "bold-and-a-link"),
    ],
)
def test_slugs_follow_githubs_rules(heading, slug):
    assert github_slug(heading) == slug


def test_repeated_headings_are_numbered_and_headings_in_code_are_not_headings():
    text = "# Notes\n\n## Notes\n\n```sh\n# not a heading\n```\n"
    assert anchors(text) == {"notes", "notes-1"}


def test_the_checker_finds_missing_files_and_anchors_and_ignores_code_and_external_links(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## A section\n", encoding="utf-8")
    (tmp_path / "picture.png").write_bytes(b"png")
    document = tmp_path / "doc.md"
    document.write_text(
        "# Doc\n\n"
        "[fine](other.md) [fine too](other.md#a-section) ![image](picture.png) [here](#doc)\n"
        "[gone](missing.md) [wrong anchor](other.md#no-such-section) [wrong here](#nowhere)\n"
        "[web](https://example.org/x.md) `[code](missing-in-code.md)`\n\n"
        "```\n[fenced](missing-in-fence.md)\n```\n",
        encoding="utf-8",
    )
    problems = broken_links(document)
    assert len(problems) == 3, problems
    assert any(problem.startswith("missing.md:") for problem in problems)
    assert any(problem.startswith("other.md#no-such-section:") for problem in problems)
    assert any(problem.startswith("#nowhere:") for problem in problems)


# --- the project's documentation ----------------------------------------------------------


def test_readme_is_at_most_15000_bytes():
    size = len(README.read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; move details into docs/"


def test_readme_starts_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# "), "the title, then the commands"
    first_content = next(index for index, line in enumerate(lines[1:], 1) if line.strip())
    assert lines[first_content].startswith("```"), "the first thing after the title is the command block"
    block = lines[first_content + 1 : lines.index("```", first_content + 1)]
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]


@pytest.mark.parametrize("document", documents(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(document):
    assert broken_links(document) == []


_TRACKER_REFERENCE = re.compile(r"\bissues?\s+#?\d+", re.IGNORECASE)


@pytest.mark.parametrize("document", documents(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_no_doc_points_at_the_tracker_s_issue_numbers(document):
    """A reader of the docs has no tracker: what an issue decided is written out where it applies."""
    found = [
        f"{number}: {line.strip()[:100]}"
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1)
        if _TRACKER_REFERENCE.search(line)
    ]
    assert found == []


def test_every_doc_is_linked_from_the_readme_or_the_architecture_page():
    linked = set()
    for source in (README, DOCS / "architecture.md"):
        for target in links(source.read_text(encoding="utf-8")):
            if not _EXTERNAL.match(target) and target.partition("#")[0]:
                linked.add((source.parent / target.partition("#")[0]).resolve())
    unlinked = [path.name for path in sorted(DOCS.glob("*.md")) if path.resolve() not in linked]
    assert unlinked == [], "link these from README.md or docs/architecture.md"


_ENV_READ = re.compile(
    r"""(?:environ(?:\.get)?\s*[(\[]|getenv\(|\benv\.get\(|\b(?:required_)?secret\(|\b_int\(|\b_url\(|\b_limits\()\s*["']([A-Z][A-Z0-9_]+)["']"""
)


def variables_read_by_the_code() -> set[str]:
    from chalicelib.config import DEV_SECRETS

    names = set(DEV_SECRETS)
    for path in [ROOT / "app.py", *(ROOT / "chalicelib").rglob("*.py"), *(ROOT / "infra").rglob("*.py")]:
        names.update(_ENV_READ.findall(path.read_text(encoding="utf-8")))
    return names


def test_the_variable_scan_finds_what_the_configuration_reads():
    names = variables_read_by_the_code()
    assert {"CRM_STAGE", "CASES_TABLE", "META_APP_SECRET", "SECRETS_CACHE_SECONDS", "LOCAL_AWS_PORT"} <= names
    assert {"RATE_LIMIT_REPORTS", "RATE_LIMIT_STATUS", "RATE_LIMITS_TABLE"} <= names


def test_every_environment_variable_the_code_reads_is_documented():
    configuration = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = sorted(name for name in variables_read_by_the_code() if not re.search(rf"\b{name}\b", configuration))
    assert missing == [], "add these to docs/configuration.md"


def test_every_channel_id_is_documented():
    from chalicelib.domain.channels import Channel

    channels = (DOCS / "channels.md").read_text(encoding="utf-8")
    assert [channel.value for channel in Channel if f"`{channel.value}`" not in channels] == []
