"""Every network at full size on the CPU: a forward pass and a training step.

Each measurement runs in a fresh Python process, so that the memory it reports is
its own. The process builds the network (1000 classes) and a batch of 224x224
images, notes its resident memory, resets the kernel's high-water mark of resident
memory (``/proc/self/clear_refs``), runs one warm-up and ``iters`` timed iterations
with ``convbook.benchmark``'s code, and reads the high-water mark again. The
difference is the memory that the iterations added to the built model: the layers'
outputs, and for a training step the gradients, the optimiser's momentum and what
the backward pass keeps. ``tracemalloc`` would not see any of it (PyTorch allocates
outside Python's allocator); the operating system's count does.

``measure_all`` starts one Python process, which imports PyTorch once and forks a
child for each measurement.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int:
    return int(re.search(rf"^{field}:\s+(\d+) kB", STATUS.read_text(), re.M)[1])


def _reset_high_water() -> bool:
    """Reset the high-water mark of resident memory; False where Linux does not let
    us (or this is not Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return _status_kib("VmHWM") <= _status_kib("VmRSS") + 1024
    except OSError:
        return False


def _max_rss_bytes() -> int:
    """The process's peak resident memory since it started (getrusage)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes there, KiB here


def measure_here(network: str, mode: str, batch_size=1, image_size=224, iters=2):
    """One record for (network, mode), measured in this process (see the module)."""
    import torch

    from convbook.benchmark import forward_flops, make_step, time_step
    from convbook.networks import NETWORKS, count_parameters

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = NETWORKS[network]()
    x = torch.randn(batch_size, 3, image_size, image_size)
    y = torch.randint(0, 1000, (batch_size,))
    step = make_step(model, mode, "fp32 eager", x, y)
    if STATUS.exists() and _reset_high_water():
        method = "VmHWM after a reset, minus VmRSS before"
        before = _status_kib("VmRSS") * 1024
        warm, seconds = time_step(step, "cpu", warmup=1, iters=iters)
        added = _status_kib("VmHWM") * 1024 - before
    else:  # a lower bound: the peak may have been reached before the iterations
        method = "growth of getrusage's peak resident memory"
        before = _max_rss_bytes()
        warm, seconds = time_step(step, "cpu", warmup=1, iters=iters)
        added = _max_rss_bytes() - before
    flops = forward_flops(network, batch_size, image_size, 1000)
    flops *= 3 if mode == "train" else 1
    return {
        "network": network,
        "mode": mode,
        "batch_size": batch_size,
        "image_size": image_size,
        "iters": iters,
        "threads": torch.get_num_threads(),
        "params": count_parameters(model),
        "warmup_s": warm,
        "seconds_per_iter": seconds,
        "flops_per_iter": flops,
        "gflops_per_s": flops / seconds / 1e9,
        "rss_before_bytes": before,
        "peak_added_bytes": added,
        "memory_method": method,
    }


def _forked(network: str, mode: str, options: dict) -> dict:
    """``measure_here`` in a child of this process; the child's record."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: measure, send the record, leave at once
        os.close(read_end)
        try:
            text = json.dumps(measure_here(network, mode, **options))
        except BaseException as err:  # noqa: BLE001 - reported to the parent
            text = json.dumps({"error": f"{type(err).__name__}: {err}"})
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(text)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(text)


def _worker(jobs: list, options: dict) -> list:
    """Measure each (network, mode) in a fresh child of one worker process.

    The worker imports PyTorch once and runs nothing with it, so each forked child
    starts from the same clean state and its resident memory is its own.
    """
    import torch  # noqa: F401 - imported once, for the children

    import convbook.benchmark  # noqa: F401
    import convbook.networks  # noqa: F401

    return [_forked(network, mode, options) for network, mode in jobs]


def measure_all(jobs, timeout: float = 1200, **options) -> list[dict]:
    """A record for each (network, mode) of ``jobs``, measured on one thread in
    children of one fresh Python process (see the module's docstring)."""
    book = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join([book, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"}
    request = json.dumps({"jobs": [list(j) for j in jobs], "options": options})
    proc = subprocess.run(
        [sys.executable, "-m", "convbook.cpu_run"],
        input=request,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    records = json.loads(proc.stdout.strip().splitlines()[-1])
    failed = [r["error"] for r in records if "error" in r]
    if failed:
        raise RuntimeError("; ".join(failed))
    return records


if __name__ == "__main__":
    request = json.loads(sys.stdin.read())
    print(json.dumps(_worker(request["jobs"], request["options"])))
