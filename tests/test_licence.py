"""The licences: the code under MIT, the text and figures under CC BY 4.0.

Stated in four places that must agree: the files LICENSE and LICENSE-CONTENT,
the README, the package metadata, and the footer of every page of the site.
"""

from __future__ import annotations

import glob
import re
import tomllib
from pathlib import Path

import pytest

from helpers import ROOT

MIT = (ROOT / "LICENSE").read_text(encoding="utf-8")
CONTENT = (ROOT / "LICENSE-CONTENT").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
# Debian ships the legal code of CC BY 4.0 in the copyright file of libuv (which
# Node.js depends on), as a Debian copyright field: each line indented by one
# space, an empty line written as " .".
DEBIAN_COPY = Path("/usr/share/doc/libuv1/copyright")
SECTIONS = [
    "Definitions",
    "Scope",
    "License Conditions",
    "Sui Generis Database Rights",
    "Disclaimer of Warranties and Limitation of Liability",
    "Term and Termination",
    "Other Terms and Conditions",
    "Interpretation",
]


def words(text):
    return text.split()


def legal_code():
    """LICENSE-CONTENT's copy of the legal code: from its title to the end."""
    start = CONTENT.index("Attribution 4.0 International\n")
    return CONTENT[start:]


def test_code_licence_is_the_mit_licence():
    """Is LICENSE the MIT licence, word for word as another MIT-licensed package
    installed here ships it, with a copyright line?"""
    other = sorted(
        glob.glob(
            str(ROOT / ".venv/lib/*/site-packages/pytest-*/**/LICENSE"), recursive=True
        )
    )
    if not other:
        pytest.skip("pytest's LICENSE file is not installed in .venv")
    theirs = Path(other[0]).read_text(encoding="utf-8")
    body = "Permission is hereby granted"
    assert words(MIT[MIT.index(body) :]) == words(theirs[theirs.index(body) :])
    assert MIT.startswith("MIT License\n")
    assert re.search(r"^Copyright \(c\) \d{4} \S", MIT, re.M)


def test_content_licence_has_the_whole_legal_code():
    """Does LICENSE-CONTENT hold the whole legal code of CC BY 4.0: its title, its
    eight sections in order, and its closing notice?"""
    text = legal_code()
    assert text.startswith("Attribution 4.0 International\n")
    assert "Creative Commons Attribution 4.0 International Public License" in text
    found = re.findall(r"^Section (\d) -- (.+)\.$", text, re.M)
    assert found == [(str(i), name) for i, name in enumerate(SECTIONS, 1)]
    assert text.rstrip().endswith(
        "Creative Commons may be contacted at creativecommons.org."
    )
    assert CC_BY + "legalcode" in CONTENT


def test_content_licence_matches_debians_copy():
    """Is the legal code word for word the copy that Debian ships?"""
    if not DEBIAN_COPY.is_file():
        pytest.skip("Debian's libuv1 is not installed")
    raw = DEBIAN_COPY.read_bytes()[:1_000_000].decode("utf-8", "replace")
    # The stanza with the text: the field followed by indented lines.
    start = raw.index("License: CC-BY-4.0\n ") + len("License: CC-BY-4.0\n")
    end = raw.find("\nLicense:", start)
    theirs = "\n".join(
        "" if line == " ." else line[1:] for line in raw[start:end].splitlines()
    )
    assert words(legal_code()) == words(theirs)


def test_readme_states_both_licences():
    """Does the README say which licence covers what, and link both files?"""
    assert "[LICENSE](LICENSE)" in README
    assert "[LICENSE-CONTENT](LICENSE-CONTENT)" in README
    assert "MIT" in README
    assert "CC BY 4.0" in README and CC_BY in README


def test_package_metadata_names_the_code_licence():
    """Does the package's metadata give its licence as MIT, with the licence file?"""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert all((ROOT / f).is_file() for f in project["license-files"])


def footer(html):
    match = re.search(r'<footer class="bd-footer-content[\s\S]*?</footer>', html)
    assert match, "no footer"
    return match.group()


@pytest.mark.parametrize(
    "page", ["book/intro.html", "book/conv2d.html", "exercises/03-conv2d/conv2d.html"]
)
def test_site_footer_states_both_licences(built_book, page):
    """Does the foot of a chapter, an exercise and the home page link CC BY 4.0 for
    the text and figures, and MIT for the code?"""
    text = footer((built_book / page).read_text(encoding="utf-8"))
    assert f'href="{CC_BY}"' in text
    assert "text and figures" in text
    assert re.search(r'href="https://opensource.org/license/mit"', text)
