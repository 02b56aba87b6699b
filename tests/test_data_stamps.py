"""Chapters that read a data file name it, and run again when it changes."""

import re
import sys
from types import SimpleNamespace

from helpers import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import data_stamps  # noqa: E402


def _app(root):
    deps = []
    env = SimpleNamespace(note_dependency=deps.append)
    return SimpleNamespace(srcdir=str(root), env=env), deps


def test_the_stamp_follows_the_file(tmp_path):
    """Does the marker line carry the file's hash, change when the file does, and
    make the page depend on the file?"""
    data = tmp_path / "results" / "x.json"
    data.parent.mkdir()
    data.write_text('{"a": 1}')
    app, deps = _app(tmp_path)
    page = "```{code-cell}\n# data: results/x.json\nload()\n```\n"
    source = [page]
    data_stamps.stamp_data_lines(app, "book/x", source)
    first = source[0]
    assert re.search(r"# data: results/x\.json \(sha256 [0-9a-f]{64}\)\n", first)
    assert deps == [str(tmp_path / "results" / "x.json")]
    data.write_text('{"a": 2}')
    source = [page]
    data_stamps.stamp_data_lines(app, "book/x", source)
    assert source[0] != first
    data.unlink()
    source = [page]
    data_stamps.stamp_data_lines(app, "book/x", source)
    assert "# data: results/x.json (missing)\n" in source[0]


def test_every_page_that_reads_results_names_them():
    """Does every chapter that reads a file of benchmarks/results/ name that
    file in a `# data:` line, so that a new result reaches the built page?"""
    missing = []
    for page in sorted((ROOT / "book").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        read = set(re.findall(r"(\w+\.json)", text)) & {
            p.name for p in (ROOT / "benchmarks" / "results").glob("*.json")
        } | set(re.findall(r'"results" / "(\w+\.json)"', text))
        named = set(re.findall(r"# data: benchmarks/results/(\S+)", text))
        missing += [f"{page.name}: {name}" for name in sorted(read - named)]
    assert missing == []


def test_the_extension_is_configured():
    config = (ROOT / "_config.yml").read_text()
    assert "data_stamps: book/_ext" in config
