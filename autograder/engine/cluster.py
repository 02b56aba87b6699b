"""Grading on a Dask cluster instead of the local pool of grading processes.

`python -m autograder grade A --scheduler tcp://host:8786` sends each
submission to a Dask worker as one task. The task runs the same grading
code as a local grading process (worker.Worker): PyTorch imported once per
Dask worker process, each source notebook prepared once, and the student's
code in the same sandboxed children (sandbox/process.py), never in the Dask worker
itself. The task grades into a private temporary folder on the worker and
returns the result and the graded notebook as data; so the Dask workers only
read the course (the source notebooks and the submissions, at the same path
as on the batch's machine), and only the batch process writes the gradebook,
the autograded folders and the log, exactly as with the local pool.

A Dask worker that dies mid-job loses its task; the scheduler runs it again
on another worker. The batch records each job the first time its result
arrives and ignores any later copy (and recording replaces a student's
submission in the gradebook in any case), so a submission is recorded
once. A job whose workers keep dying (distributed.scheduler.allowed-failures,
3 by default) is reported as an error and graded again by the next run.

Each Dask worker process grades one submission at a time: start workers with
one thread each (`dask worker ADDRESS --nworkers N --nthreads 1`).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import multiprocessing.util
import os
import re
import shutil
import signal
import tempfile
import threading
import traceback
from pathlib import Path

from .course import CourseError

_ADDRESS = re.compile(r"^(tcp|tls)://[^/\s]+:\d+$")
CONNECT_TIMEOUT = 10  # seconds to reach the scheduler
WORKERS_TIMEOUT = 60  # seconds to wait for a first worker

# ----------------------------------------------------------- on the workers

_lock = threading.Lock()
_workers = {}  # batch configuration -> grading Worker
_folders = set()  # this process's temporary folders, from their creation on
CLEANUP = "autograder-cleanup"  # the name of the Dask worker plugin below


def _worker_for(config):
    """This process's grading Worker for a batch configuration (made once)."""
    key = json.dumps(config, sort_keys=True)
    if key not in _workers:
        _close_workers()
        os.environ.setdefault("MPLBACKEND", "Agg")
        from .worker import Worker

        _remove_orphans()
        _clean_up_on_exit()
        tmp_root = tempfile.mkdtemp(prefix=f"autograder-dask-{os.getpid()}-")
        _folders.add(tmp_root)  # removed at exit even if the Worker never starts
        os.chmod(tmp_root, 0o711)  # the sandbox user must reach its own folders
        _workers[key] = Worker({**config, "tmp_root": tmp_root})
    return _workers[key]


def _close_workers():
    """Close this process's grading Workers and remove their folders."""
    try:
        for worker in list(_workers.values()):
            worker.close()
    finally:
        _workers.clear()
        for folder in list(_folders):
            shutil.rmtree(folder, ignore_errors=True)
            _folders.discard(folder)


_hooks = []


def _clean_up_on_exit():
    """Remove this process's folders however the Dask worker ends cleanly.

    A Dask worker stopped by its nanny (SIGTERM to `dask worker`) closes
    and tears down its plugins, but its process then ends with os._exit,
    past atexit: the plugin is what runs there; atexit covers a worker
    without a nanny, and multiprocessing's finalizers a process ended after
    its worker closed.
    """
    if _hooks:
        return
    _hooks.append(atexit.register(_close_workers))
    _hooks.append(multiprocessing.util.Finalize(None, _close_workers, exitpriority=10))
    try:
        from distributed import get_worker

        dask_worker = get_worker()
    except (ImportError, ValueError):
        return  # not in a Dask worker
    dask_worker.plugins[CLEANUP] = _Cleanup()


class _Cleanup:
    """A Dask worker plugin: its teardown (as the worker closes) removes the folders."""

    def teardown(self, worker):
        _close_workers()


def _remove_orphans():
    """Remove the temporary folders of worker processes that were killed."""
    for path in Path(tempfile.gettempdir()).glob("autograder-dask-*-*"):
        pid = path.name.split("-")[2]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(path, ignore_errors=True)


def grade_job(config, job):
    """A Dask task: grade one submission; the answer, graded notebooks included."""
    with _lock:  # one submission at a time per process, whatever its threads
        try:
            worker = _worker_for(config)
        except Exception:
            return _error("could not start grading: " + traceback.format_exc()[-2000:])
        try:
            answer = worker.grade(job)
        except Exception:
            answer = _error("grader error: " + traceback.format_exc()[-2000:])
    answer["job"] = job["id"]
    return answer


def _error(reason):
    return {"status": "error", "reason": reason, "notebooks": []}


# ----------------------------------------------------------- in the batch


def check_address(address):
    """A scheduler address with its protocol: tcp://host:port (or tls://)."""
    if "://" not in address:
        address = "tcp://" + address
    if not _ADDRESS.match(address):
        raise CourseError(
            f"not a Dask scheduler address: {address!r} "
            "(expected tcp://host:port or tls://host:port)"
        )
    return address


class DaskPool:
    """The local Pool's interface on a Dask cluster: run(jobs) yields (job, answer)."""

    def __init__(self, address, config=None):
        self.address = check_address(address)
        self.config = {**(config or {}), "tmp_root": None}
        self.client = None

    def connect(self):
        """Reach the scheduler and wait for a worker; CourseError if not."""
        from distributed import Client

        for name in ["distributed", *logging.root.manager.loggerDict]:
            if name.startswith("distributed"):  # its own summary says what failed
                logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client = Client(
                self.address, timeout=CONNECT_TIMEOUT, set_as_default=False
            )
        except (OSError, TimeoutError) as err:
            raise CourseError(
                f"cannot reach the Dask scheduler at {self.address}: "
                + (str(err).splitlines() or [type(err).__name__])[0]
            ) from None
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except (OSError, TimeoutError):
            self.close()
            raise CourseError(
                f"the Dask scheduler at {self.address} has no workers "
                f"(none joined within {WORKERS_TIMEOUT} s)"
            ) from None
        return self

    @property
    def size(self):
        """Grading slots: the cluster's worker processes."""
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def run(self, jobs):
        from distributed import as_completed
        from distributed.client import FutureCancelledError
        from distributed.scheduler import KilledWorker

        futures = {
            self.client.submit(
                grade_job, self.config, job, key=f"grade-{job['id']}", pure=False
            ): job
            for job in jobs
        }
        recorded = set()
        try:
            for future in as_completed(futures, loop=self.client.loop):
                job = futures[future]
                try:
                    answer = future.result()
                except KilledWorker:
                    answer = _error(
                        "the grading process died (its Dask workers were lost "
                        "each time it ran)"
                    )
                except FutureCancelledError:
                    answer = _error(
                        "the Dask cluster dropped this job (scheduler lost?); "
                        "the next run grades it"
                    )
                except Exception as err:
                    answer = _error(f"grader error on the cluster: {err!r}"[:2000])
                if job["id"] in recorded:
                    continue  # a copy of a result already recorded
                recorded.add(job["id"])
                yield job, answer
        finally:
            for future in futures:
                future.release()

    def close(self):
        if self.client is not None:
            self.client.close()
            self.client = None


# ----------------------------------------------------------- the scheduler


def serve_scheduler(host=None, port=8786, announce=print):
    """Run a Dask scheduler until SIGINT or SIGTERM (`python -m autograder scheduler`).

    Dask's own `dask scheduler` keeps its scratch space in the machine's shared
    temporary folder (/tmp/dask-scratch-space, the same for every user and
    every scheduler); this one keeps it in a private folder of its own (mode
    700), removed when it stops.
    """
    from distributed import Scheduler

    logging.getLogger("distributed").setLevel(logging.WARNING)
    scratch = tempfile.mkdtemp(prefix="autograder-scheduler-")

    async def run():
        async with Scheduler(
            host=host, port=port, dashboard=False, local_directory=scratch
        ) as scheduler:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(
                    sig, lambda: asyncio.ensure_future(scheduler.close())
                )
            announce(f"scheduler at {scheduler.address}; scratch space {scratch}")
            await scheduler.finished()

    try:
        asyncio.run(run())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
