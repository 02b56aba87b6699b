"""The conv2d CPU benchmark runs (a smoke test: no timing is asserted)."""

import json
import sys

from conftest import run
from helpers import ROOT

SCRIPT = ROOT / "benchmarks" / "conv2d_numpy_vs_torch.py"


def test_quick_run_prints_ratios(tmp_path):
    """Does --quick run both libraries on one thread and report ratios?"""
    out = tmp_path / "bench.json"
    proc = run([sys.executable, str(SCRIPT), "--quick", "--out", str(out)])
    assert "geometric mean of the ratios (NumPy / PyTorch)" in proc.stdout
    assert "1 thread" in proc.stdout
    bench = json.loads(out.read_text())
    assert [r["name"] for r in bench["shapes"]] == ["tiny strided", "tiny 3x3"]
    for r in bench["shapes"]:
        assert r["ratio"] == r["numpy_s"] / r["torch_s"] > 0
    assert bench["geomean_ratio"] > 0
