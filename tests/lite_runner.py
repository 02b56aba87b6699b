"""Run filled-in student notebooks' cells in this process, as a kernel would.

    python tests/lite_runner.py [--no-torch] < jobs.json > results.json

Each job names an assignment, its notebook, and code that stands in for some
solution cells ({grade_id: code}; the others get the reference solution).
With --no-torch, `import torch` fails, as it does in the browser (Pyodide).
Prints {"results": [{grade_id: null or the error's type and message}, ...],
"torch_loaded": bool}, one dict of graded cells per job.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

if "--no-torch" in sys.argv:
    sys.modules["torch"] = None  # any `import torch` now raises ImportError

sys.path.insert(0, str(Path(__file__).parent))

from helpers import submission  # noqa: E402


def run(job):
    nb = submission(job["assignment"], job["notebook"], job.get("replace"))
    namespace, cells = {}, {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        nbgrader = cell.metadata.get("nbgrader", {})
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(cell.source, "<cell>", "exec"), namespace)
            error = None
        except Exception as err:  # noqa: BLE001 - reported, as a kernel would
            error = f"{type(err).__name__}: {err}"
            if not nbgrader.get("grade"):
                raise
        if nbgrader.get("grade"):
            cells[nbgrader["grade_id"]] = error
    return cells


def main():
    results = [run(job) for job in json.load(sys.stdin)]
    loaded = any(
        name.split(".")[0] == "torch" and module is not None
        for name, module in sys.modules.items()
    )
    json.dump({"results": results, "torch_loaded": loaded}, sys.stdout)


if __name__ == "__main__":
    main()
