"""Fetch a Pyodide that the browser tests can serve themselves, with no CDN.

    .venv/bin/python .ci/pyodide.py [folder]     # default: _build/pyodide

The site's JupyterLite loads Pyodide from its CDN. The browser tests run with
no network, so they serve this copy instead, made from the package registries
only: Pyodide's core from npm (the `pyodide` package: the interpreter and the
standard library), and the pure-Python wheels that the kernel needs to start
(micropip, IPython, jedi, comm and what they need) from PyPI. Pyodide's lock
file is rewritten with the hashes of these wheels and the two packages it
lacks (comm, ipython-pygments-lexers).

Compiled packages such as NumPy are in neither registry (Pyodide publishes them
on its CDN and in its release archives), so this copy has no NumPy. Does
nothing when the folder is already complete for this version.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION

ROOT = Path(__file__).resolve().parent.parent
CORE = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]
# What the kernel loads at start, by name in Pyodide's lock.
BOOT = ["micropip", "ipython", "jedi"]
# Needed at start but missing from the lock: (name, import name).
EXTRA = [("comm", "comm"), ("ipython-pygments-lexers", "ipython_pygments_lexers")]


def _norm(name):
    return name.lower().replace("_", "-")


def closure(packages, names):
    """The lock's keys of `names` and of everything they depend on."""
    keys = {_norm(k): k for k in packages}
    seen, todo = [], list(names)
    while todo:
        key = keys[_norm(todo.pop())]
        if key not in seen:
            seen.append(key)
            todo += packages[key]["depends"]
    return seen


def fetch_core(folder, tmp):
    subprocess.run(
        ["npm", "pack", "--silent", f"pyodide@{PYODIDE_VERSION}"],
        cwd=tmp,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with tarfile.open(next(Path(tmp).glob("pyodide-*.tgz"))) as tar:
        tar.extractall(tmp, filter="data")
    for name in CORE + ["pyodide-lock.json"]:
        shutil.copy2(Path(tmp) / "package" / name, folder / name)


def fetch_wheels(folder, requirements):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        + ["--only-binary=:all:", "--python-version", "3.14", "--dest", str(folder)]
        + requirements,
        check=True,
    )


def main():
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "pyodide"
    stamp = folder / "version.txt"
    if stamp.exists() and stamp.read_text() == PYODIDE_VERSION:
        return
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        fetch_core(folder, tmp)
    lock = json.loads((folder / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    names = closure(packages, BOOT)
    fetch_wheels(
        folder,
        [f"{packages[n]['name']}=={packages[n]['version']}" for n in names]
        + [name for name, _ in EXTRA],
    )
    wheels = {p.name: p for p in folder.glob("*.whl")}
    for name in names:
        wheel = wheels[packages[name]["file_name"]]
        packages[name]["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    for name, module in EXTRA:
        wheel = next(w for w in wheels.values() if w.name.startswith(module + "-"))
        packages[name] = {
            "name": name,
            "version": wheel.name.split("-")[1],
            "file_name": wheel.name,
            "install_dir": "site",
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            "package_type": "package",
            "imports": [module],
            "depends": [],
            "unvendored_tests": False,
        }
    packages["ipython"]["depends"].append("ipython-pygments-lexers")
    (folder / "pyodide-lock.json").write_text(json.dumps(lock))
    stamp.write_text(PYODIDE_VERSION)
    print(f"setup: Pyodide {PYODIDE_VERSION} (no NumPy) for the browser tests")


if __name__ == "__main__":
    main()
