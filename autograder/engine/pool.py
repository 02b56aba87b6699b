"""Run: the local grading processes, one per core (the run stage of a batch).

`Pool(size, config, log_dir, job_timeout).run(jobs)` yields (job, answer) as
each submission is graded by a worker process (worker.py); the answer holds
the graded notebooks as text. A worker that dies or hangs is replaced and its
job retried once; a second failure is an "error" answer, never the batch's.
cluster.DaskPool does the same on a Dask cluster. The batch's private
temporary folder (`batch_folder`) is made and cleaned up here too.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class _Proc:
    def __init__(self, index, config, log_dir):
        self.index = index
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(log_dir / f"worker-{index}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.engine.worker", json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            preexec_fn=_die_with_parent,
            env={**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"},
        )
        self.buffer = b""
        self.job = None
        self.started = None
        self.ready = False

    def send(self, job):
        """Hand a job to the worker; False if the worker is gone (nothing was sent)."""
        try:
            self.proc.stdin.write((json.dumps(job, ensure_ascii=False) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:  # BrokenPipeError: it died between two jobs
            return False
        self.job, self.started = job, time.monotonic()
        return True

    def lines(self):
        """Complete lines now readable (b"" at end of file: the worker died)."""
        chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        if not chunk:
            return None
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        return complete

    def stop(self, grace=5.0):
        """End the worker: politely (end of its input) if it is idle, else kill."""
        if self.job is None and self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log.close()


class Pool:
    """N worker processes; `run(jobs)` yields (job, answer) as they finish."""

    def __init__(self, size, config, log_dir, job_timeout):
        self.size, self.config, self.log_dir = size, config, log_dir
        self.job_timeout = job_timeout
        self.procs = []
        self.spawned = 0

    def _spawn(self):
        self.spawned += 1
        return _Proc(self.spawned, self.config, self.log_dir)

    def run(self, jobs):
        self.pending = list(jobs)
        self.procs = [self._spawn() for _ in range(min(self.size, len(self.pending)))]
        try:
            while self.pending or any(p.job for p in self.procs):
                for p in list(self.procs):
                    if p.ready and p.job is None and self.pending:
                        job = self.pending.pop(0)
                        if not p.send(job):
                            self.pending.insert(0, job)
                            yield from self._replace(p, "the grading process died")
                yield from self._wait()
        finally:
            for p in self.procs:
                p.stop()

    def _wait(self):
        fds = {p.proc.stdout.fileno(): p for p in self.procs}
        ready, _, _ = select.select(list(fds), [], [], 1.0)
        for fd in ready:
            p = fds[fd]
            lines = p.lines()
            if lines is None:
                yield from self._replace(p, "the grading process died")
                continue
            for line in lines:
                answer = json.loads(line)
                if answer.get("ready"):
                    p.ready = True
                    continue
                job, p.job = p.job, None
                yield job, answer
        for p in list(self.procs):
            if p.job and time.monotonic() - p.started > self.job_timeout:
                yield from self._replace(p, "the grading process timed out")

    def _replace(self, p, why):
        """A fresh worker for a dead or stuck one; its job is retried once."""
        job = p.job
        p.stop()
        self.procs[self.procs.index(p)] = self._spawn()
        if job is not None and not job.get("retried"):
            job["retried"] = True
            self.pending.append(job)
        elif job is not None:
            yield job, {"status": "error", "reason": why, "notebooks": []}


BATCH_PREFIX = "autograder-batch-"
OWNER_FILE = "owner.lock"
STALE_UNLOCKED = 24 * 3600  # a folder with no owner file (an older grader's)


def batch_folder():
    """A private temporary folder for this batch, locked while it lives.

    The lock (an flock on OWNER_FILE, held until this process ends, however
    it ends) tells the next batch whether the folder's owner is gone.
    """
    remove_stale_batch_folders()
    tmp_root = tempfile.mkdtemp(prefix=BATCH_PREFIX)
    os.chmod(tmp_root, 0o711)  # the sandbox user must reach its own folders
    # Locked under another name first, so that no other batch ever finds the
    # owner file unlocked while this one lives.
    claim = os.path.join(tmp_root, "claim.tmp")
    handle = open(claim, "w")
    fcntl.flock(handle, fcntl.LOCK_EX)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    os.rename(claim, os.path.join(tmp_root, OWNER_FILE))
    return tmp_root, handle


def remove_stale_batch_folders(parent=None):
    """Remove the temporary folders of batches that were killed; their names.

    A folder is stale when nobody holds its owner lock (its batch process is
    gone), or, with no owner file, when it is a day old. Folders of running
    batches are left alone.
    """
    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        names = [n for n in os.listdir(parent) if n.startswith(BATCH_PREFIX)]
    except OSError:
        return removed
    for name in names:
        path = os.path.join(parent, name)
        if os.path.islink(path) or not os.path.isdir(path):
            continue
        try:
            fd = os.open(os.path.join(path, OWNER_FILE), os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            try:
                old = time.time() - os.stat(path).st_mtime > STALE_UNLOCKED
            except OSError:
                continue
            if old:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its batch is running
        else:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        finally:
            os.close(fd)
    return removed
