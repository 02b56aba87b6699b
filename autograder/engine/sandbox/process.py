"""Start and talk to the process that runs one student's code.

The process is a fresh `python -S -s -P` whose sys.path holds the standard
library and NumPy alone, running the program child.py (with the message
format, checking/wire.py), copied into a folder of its own. Student code is assumed
to do anything its own process can (raw memory writes included), so what it
can reach is decided by the operating system:

- resource limits: address space and data (memory), CPU seconds for the
  whole notebook, the size of any file it writes, open files, no core dumps,
  and no new processes or threads (RLIMIT_NPROC);
- its own session and process group, so that the grader can kill it and
  everything it is, and a parent-death signal, so it dies with its grader;
- at a safe level (`safe_levels`): its own user ID; its own network, IPC,
  UTS and mount namespaces, in which every mount is read-only except its
  working folder (a small size-capped tmpfs, noexec), and every folder at
  the top of the file system but the system's own (SYSTEM), the course and
  /dev/shm are replaced by empty ones with only Python and NumPy put back;
  /proc hidden; and a seccomp filter (seccomp.py)
  that refuses sockets, signals and ptrace to other processes, new
  processes, mounts and namespaces.

Isolation levels, strongest first:

- "root": all of the above (needs root).
- "userns": the same through a user namespace. Run by root, the child first
  becomes a uid of its own, then enters the user namespace (where it is
  itself, never root); run by a normal user, it keeps that user's ID, and the
  seccomp filter is what keeps it from signalling or tracing the grader.
- "none": resource limits and the child's audit hook only; the child can
  read what the grading user can read, if it gets past the audit hook.
  Never safe: refused for grading unless asked for as unsafe.

The audit hook in the child (child.py) is a tripwire that names what
it refused; no guarantee depends on it (Limits.audit_hook=False turns it off
for the tests that show this). The grader never trusts what comes back:
reply headers are bounded in size and shape before they are parsed, and
wire.decode accepts plain data only.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import resource
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...checking import guard, wire
from . import seccomp

CHILD = Path(__file__).resolve().with_name("child.py")
PYTHON = os.path.realpath(sys.executable)
CLK_TCK = os.sysconf("SC_CLK_TCK")
LEVELS = ("root", "userns", "none")

# Standard-library extension modules a student's code may load.
SAFE_EXTENSIONS = (
    "math",
    "cmath",
    "_random",
    "_bisect",
    "_heapq",
    "_json",
    "_struct",
    "_datetime",
    "_statistics",
    "_decimal",
    "array",
    "binascii",
    "zlib",
    "_contextvars",
    "_opcode",
    "_pickle",
    "_typing",
    "_sha1",
    "_sha256",
    "_sha512",
    "_sha3",
    "_md5",
    "_blake2",
    "_queue",
    "unicodedata",
    "_csv",
    "_elementtree",
    "pyexpat",
    "_lzma",
    "_bz2",
    "_zoneinfo",
    "_asyncio",
    "_multibytecodec",
    "_codecs_cn",
    "_codecs_hk",
    "_codecs_iso2022",
    "_codecs_jp",
    "_codecs_kr",
    "_codecs_tw",
    "_hashlib",
    "_uuid",
    "select",
    "_socket",
)

# What the child may see of the root folder: the system's own folders. Every
# other folder at the top of the file system (/home, /root, /tmp, /var, /opt,
# /srv, /work, or wherever an instructor keeps the course, such as /check or
# /data) is replaced by an empty one in the child's mount namespace; the
# interpreter, NumPy and the checking library are then bound back in.
SYSTEM = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
    "/dev",
    "/proc",
    "/sys",
)

# Folders inside the system ones that are hidden all the same: shared memory.
HIDDEN_INSIDE = ("/dev/shm", "/dev/mqueue")


def top_level_hidden():
    """Every real folder at the top of the file system but the system ones."""
    hide = []
    with os.scandir("/") as entries:
        for entry in entries:
            try:
                folder = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if folder and entry.path not in SYSTEM:
                hide.append(entry.path)
    return hide


@dataclass(frozen=True)
class Limits:
    """What one submission may use.

    part_cpu: CPU seconds the student's code may use in one part (test cell).
    part_wall: seconds it may spend waiting (sleeping, blocked) instead of
      computing in one part; a part also ends after 20 times this in all
      (a backstop for a machine so loaded that the process gets no CPU).
      Time the process spends ready to run but starved of a core (a loaded
      machine) counts for neither, so scores do not depend on the load.
    notebook_cpu / notebook_wall: the same budgets for a whole notebook.
    submission_time: seconds of the student's processes' time, CPU and
      waiting together (starvation excluded, as above), for a whole
      submission, all its notebooks and every re-run included.
    memory_mb / output_mb / stdout_kb / file_mb: the student's process's
      memory, its largest reply, its printed output per request, and the
      largest file it may write.
    """

    part_cpu: float = 60.0
    part_wall: float = 60.0
    notebook_cpu: float = 600.0
    notebook_wall: float = 1800.0
    submission_time: float = 300.0
    memory_mb: int = 2048
    output_mb: int = wire.OUTPUT_MB
    stdout_kb: int = 32
    file_mb: int = 16
    # The child's audit hook (a tripwire that names what was refused). Only
    # the grader sets this; tests turn it off to show that every guarantee
    # holds with the operating system's boundaries alone.
    audit_hook: bool = True
    # Memory (MiB) the grading process itself may add, beyond what it holds
    # once ready, while it grades one submission (its replies, the tests).
    grader_memory_mb: int = 2048

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


class ChildFailure(Exception):
    """The student's process hung, died, or broke the protocol.

    `kind` says which: one of the STOPPED_* keys when the grader stopped it at
    a deadline, "failed" otherwise.
    """

    def __init__(self, message, kind="failed"):
        super().__init__(message)
        self.kind = kind


STOPPED_CPU = "cpu"  # past its CPU seconds
STOPPED_WAIT = "wait"  # past its waiting seconds, or the wall-clock backstop
STOPPED_TOTAL = "total"  # past its CPU + waiting seconds together


class SandboxUnavailable(Exception):
    """The sandbox did not start: a problem of this machine, not the student's."""


@dataclass(frozen=True)
class Deadline:
    """When to give up on a request, in the child's CPU seconds, the child's
    idle seconds (waiting while not runnable), and time.monotonic()."""

    cpu: float
    idle: float
    wall: float
    total: float = float("inf")  # CPU seconds + idle seconds


# ----------------------------------------------------------------- Linux bits

_CLONE_NEWNS, _CLONE_NEWNET, _CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000
_CLONE_NEWIPC, _CLONE_NEWUTS = 0x08000000, 0x04000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_MS_NOATIME, _MS_NODIRATIME, _MS_RELATIME = 1024, 2048, 1 << 21
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_NO_NEW_PRIVS = 1, 4, 38
# statvfs flags -> the mount flags a read-only remount must keep (a user
# namespace may not clear flags that its parent's mounts carry).
_KEEP_FLAGS = (
    (os.ST_NOSUID, _MS_NOSUID),
    (os.ST_NODEV, _MS_NODEV),
    (os.ST_NOEXEC, _MS_NOEXEC),
    (os.ST_NOATIME, _MS_NOATIME),
    (os.ST_NODIRATIME, _MS_NODIRATIME),
    (os.ST_RELATIME, _MS_RELATIME),
)

_libc = None


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
        _libc.unshare.argtypes = [ctypes.c_int]
        _libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong] + [ctypes.c_ulong] * 3
    return _libc


def _ok(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None):
    enc = [None if v is None else str(v).encode() for v in (source, target, fstype)]
    opts = None if data is None else data.encode()
    _ok(_c().mount(enc[0], enc[1], enc[2], flags, opts), f"mount {target}")


def _write_proc(name, text):
    fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _under(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def _become(uid):
    """Switch to uid (and the group of the same number), with no other groups."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _map_own_ids(uid, gid):
    """In a fresh user namespace: uid and gid (ours outside) appear as themselves."""
    _write_proc("setgroups", "deny")
    _write_proc("uid_map", f"{uid} {uid} 1")
    _write_proc("gid_map", f"{gid} {gid} 1")


def _hide_proc():
    """Last: without /proc the child cannot reach other processes' files."""
    flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _MS_RDONLY
    _mount("tmpfs", "/proc", "tmpfs", flags, "size=4k,mode=555")


def mount_points():
    """The mount points this process sees, from /proc/self/mountinfo."""
    with open("/proc/self/mountinfo", "rb") as f:
        lines = f.read().splitlines()
    points = []
    for line in lines:
        field = line.split(b" ")[4]
        # Octal escapes (a space is \040) in the mount point's name.
        raw = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m[1], 8)]), field)
        points.append(os.fsdecode(raw))
    return points


def _read_only_but(*writable):
    """Remount every mount point read-only, except those in `writable`; check.

    A bind remount changes this namespace's view of a mount, never the file
    system itself. A mount point hidden under another mount is out of reach
    anyway; a remount that fails on a visible one fails the sandbox.
    """
    for path in mount_points():
        if path in writable:
            continue
        try:
            have = os.statvfs(path).f_flag
        except OSError:
            continue  # under a hidden folder: not there any more
        if have & os.ST_RDONLY:
            continue
        keep = sum(ms for st, ms in _KEEP_FLAGS if have & st)
        flags = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | keep
        _mount(None, path, None, flags)
    for path in mount_points():
        try:
            have = os.statvfs(path).f_flag
        except OSError:
            continue
        if path not in writable and not have & os.ST_RDONLY:
            raise OSError(f"{path} is still writable in the sandbox")


@dataclass
class Plan:
    """Everything the child's preexec step needs, computed before the fork."""

    level: str
    limits: Limits
    uid: int
    work: str
    files: list = field(default_factory=list)  # [(relative path, bytes)]
    hide: list = field(default_factory=list)
    expose: list = field(default_factory=list)

    def preexec(self):
        """Runs in the forked child, before exec. Errors go to fd 2."""
        try:
            self._preexec()
        except BaseException as err:
            os.write(2, f"sandbox setup failed: {err!r}\n".encode())
            raise

    def _preexec(self):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        libc = _c()
        root = os.geteuid() == 0
        if self.level == "none":
            os.makedirs(self.work, mode=0o700, exist_ok=True)
            self._write_files(None)
        else:
            self._namespaces(libc, root)
        os.chdir(self.work)
        os.umask(0o077)
        self._rlimits()
        if root and self.level != "none":
            _become(self.uid)
        if root and self.level == "userns":
            self._user_namespace(libc)
        _ok(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
        _ok(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
        if self.level != "none" and seccomp.available():
            seccomp.install(libc)

    def _namespaces(self, libc, root):
        """New mount, network, IPC and UTS namespaces (and a user namespace).

        Run by root, the mounts are made as root and the process then becomes
        the sandbox uid, a real, unused uid ("root"), or first that uid and
        then a user namespace in which it appears as itself ("userns"). Run by
        a normal user ("userns"), the user namespace comes first and maps the
        user's uid to itself, never to root, so its capabilities end at exec.
        Every mount the child can see is read-only but its working folder.
        """
        flags = _CLONE_NEWNS | _CLONE_NEWNET | _CLONE_NEWIPC | _CLONE_NEWUTS
        owner = self.uid if root else None
        if not root:
            flags |= _CLONE_NEWUSER
        uid, gid = os.getuid(), os.getgid()
        _ok(libc.unshare(flags), "unshare")
        if not root:
            _map_own_ids(uid, gid)
        _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
        held = [os.open(p, os.O_PATH | os.O_DIRECTORY) for p in self.expose]
        hidden_flags = _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
        for path in self.hide:
            _mount("tmpfs", path, "tmpfs", hidden_flags, "size=1m,mode=755")
        for path, fd in zip(self.expose, held):
            if any(_under(path, h) for h in self.hide):
                os.makedirs(path, mode=0o755, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
            os.close(fd)
        os.makedirs(self.work, mode=0o755, exist_ok=True)
        data = sum(len(d) for _, d in self.files) >> 20
        size = max(4 * self.limits.file_mb, 16) + 2 * data
        ids = f",uid={owner},gid={owner}" if owner is not None else ""
        _mount("tmpfs", self.work, "tmpfs", hidden_flags, f"size={size}m,mode=700{ids}")
        self._write_files(owner)
        if root and self.level == "userns":
            _read_only_but(self.work, "/proc")  # hidden after the user namespace
        else:
            _read_only_but(self.work)
            _hide_proc()

    def _user_namespace(self, libc):
        """Root's "userns": the sandbox uid enters a user namespace (and a copy
        of the mount namespace, in which every mount is now locked)."""
        _ok(libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0), "dumpable")
        _ok(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare user")
        _map_own_ids(self.uid, self.uid)
        _hide_proc()

    def _write_files(self, owner):
        for rel, data in self.files:
            path = os.path.join(self.work, rel)
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            if owner is not None:
                os.chown(path, owner, owner)
                for parent in Path(rel).parents:
                    if str(parent) != ".":
                        os.chown(os.path.join(self.work, parent), owner, owner)

    def _rlimits(self):
        mb = 1 << 20
        cpu = int(self.limits.notebook_cpu) + 1
        for kind, value in [
            (resource.RLIMIT_AS, self.limits.memory_mb * mb),
            (resource.RLIMIT_DATA, self.limits.memory_mb * mb),
            (resource.RLIMIT_CPU, cpu),
            (resource.RLIMIT_FSIZE, self.limits.file_mb * mb),
            (resource.RLIMIT_NOFILE, 64),
            (resource.RLIMIT_CORE, 0),
            (resource.RLIMIT_NPROC, 1),
        ]:
            hard = value + 1 if kind == resource.RLIMIT_CPU else value
            resource.setrlimit(kind, (value, hard))


# ----------------------------------------------------------------- environment


class Environment:
    """Per-grader-process state: a private folder and the child's program."""

    def __init__(self, level, limits, course_root=None, parent=None):
        self.level = level
        self.limits = limits
        self.course_root = os.path.realpath(course_root) if course_root else None
        self.base = tempfile.mkdtemp(prefix="autograder-", dir=parent)
        os.chmod(self.base, 0o711)
        self.lib = os.path.join(self.base, "lib")
        os.makedirs(self.lib)
        os.chmod(self.lib, 0o755)
        numpy_dir = Path(np.__file__).resolve().parent
        self.numpy_dirs = [str(numpy_dir)]
        libs = numpy_dir.parent / "numpy.libs"
        if libs.is_dir():
            self.numpy_dirs.append(str(libs.resolve()))
        for target in self.numpy_dirs:
            os.symlink(target, os.path.join(self.lib, os.path.basename(target)))
        self.program = self._install_program()
        self.counter = 0

    def _install_program(self):
        """Copy the child program and the wire format into the private lib
        folder (the course folder is hidden from the child); the child's path."""
        for source in (CHILD, Path(wire.__file__)):
            target = os.path.join(self.lib, source.name)
            shutil.copyfile(source, target)
            os.chmod(target, 0o644)
        return os.path.join(self.lib, CHILD.name)

    def hidden_paths(self):
        inside = [p for p in HIDDEN_INSIDE if not os.path.islink(p)]
        hide = top_level_hidden() + [p for p in inside if os.path.isdir(p)]
        if self.course_root:
            hide.append(self.course_root)
        hide = sorted({os.path.realpath(p) for p in hide}, key=len)
        keep = []
        for path in hide:
            if not any(_under(path, k) for k in keep) and path != "/":
                keep.append(path)
        return keep

    def exposed_paths(self):
        prefix = os.path.realpath(sys.base_prefix)
        stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
        paths = [prefix, self.lib, *self.numpy_dirs]
        if not _under(stdlib, prefix):
            paths.append(stdlib)
        return paths

    def plan(self, files, uid):
        self.counter += 1
        work = os.path.join(self.base, f"work-{os.getpid()}-{self.counter}")
        return Plan(
            level=self.level,
            limits=self.limits,
            uid=uid,
            work=work,
            files=list(files),
            hide=self.hidden_paths() if self.level != "none" else [],
            expose=self.exposed_paths() if self.level != "none" else [],
        )

    def close(self):
        shutil.rmtree(self.base, ignore_errors=True)


_uids = 0


def sandbox_uid():
    """A user ID that no other live process has (root mode).

    Built from this process's pid and a counter, so that children of
    different grading processes, and successive children of one, differ
    (RLIMIT_NPROC=1 then means: this child, and nothing else).
    """
    global _uids
    _uids += 1
    return 100_000 + (os.getpid() << 6) + (_uids & 63)


# ----------------------------------------------------------------- the child


class Child:
    """One running student process and the pipes to it."""

    def __init__(self, env: Environment, files):
        self.env = env
        self.limits = env.limits
        plan = env.plan(files, sandbox_uid())
        self.work = plan.work
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        os.set_blocking(self.req_w, False)
        self.err = tempfile.TemporaryFile(dir=env.base)
        config = {
            "rfd": req_r,
            "wfd": rep_w,
            "work": plan.work,
            "stdout_cap": self.limits.stdout_kb * 1024,
            "safe_extensions": SAFE_EXTENSIONS,
            "forbidden": guard.sandbox_config(),
            "max_output": wire.output_limit(self.limits.output_mb),
            "audit_hook": bool(self.limits.audit_hook),
        }
        argv = [PYTHON, "-S", "-s", "-P", env.program, json.dumps(config)]
        environ = {
            "PATH": "/usr/bin:/bin",
            "HOME": plan.work,
            "TMPDIR": plan.work,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self.err,
                pass_fds=(req_r, rep_w),
                preexec_fn=plan.preexec,
                start_new_session=True,
                env=environ,
            )
        except (subprocess.SubprocessError, OSError) as err:
            raise SandboxUnavailable(
                f"could not start the sandbox: {self.stderr_tail()}"
            ) from err
        finally:
            os.close(req_r)
            os.close(rep_w)
        self.cpu_at_exit = None
        self.next_id = 0
        self.idle = 0.0  # seconds spent waiting for it while it was not runnable
        self._last_tick = time.monotonic()

    # -- process state

    def cpu_seconds(self):
        """CPU seconds the child has used so far (user + system)."""
        if self.cpu_at_exit is not None:
            return self.cpu_at_exit
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def alive(self):
        return self.cpu_at_exit is None and self.proc.poll() is None

    def kill(self):
        """Kill the child's whole process group and reap it."""
        if self.cpu_at_exit is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._reap()

    def _reap(self):
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            self.cpu_at_exit = usage.ru_utime + usage.ru_stime
        except ChildProcessError:  # already reaped
            if self.proc.returncode is None:
                self.proc.returncode = -signal.SIGKILL
            self.cpu_at_exit = 0.0

    def close(self):
        self.kill()
        for fd in (self.req_w, self.rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.err.close()
        if self.env.level == "none":
            shutil.rmtree(self.work, ignore_errors=True)

    def stderr_tail(self, n=1500):
        try:
            self.err.seek(0, os.SEEK_END)
            size = self.err.tell()
            self.err.seek(max(0, size - n))
            return self.err.read().decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            return ""

    def death(self):
        """Why the child ended, in words."""
        self.kill()
        code = self.proc.returncode
        if code is None:
            return "it stopped answering"
        if code >= 0:
            return f"it exited with status {code}"
        sig = -code
        name = signal.Signals(sig).name if sig in signal.valid_signals() else str(sig)
        if sig == signal.SIGXCPU:
            return f"it used up the notebook's CPU limit ({name})"
        if sig == signal.SIGSEGV:
            return f"it crashed ({name}), e.g. deep recursion or running out of memory"
        return f"it was killed by {name}"

    # -- messages

    def request(self, header, blobs, deadline, what):
        """Send one request and wait for its reply within the deadline.

        Returns (reply header, body); raises ChildFailure (and kills the
        child) if it runs out of CPU time, waits too long, dies, or answers
        with something that is not a reply.
        """
        self.next_id += 1
        header = {**header, "id": self.next_id}
        self._last_tick = time.monotonic()
        try:
            self._send(wire.pack(header, blobs), deadline, what)
            reply, body = self._receive(deadline, what)
        except ChildFailure:
            self.kill()
            raise
        if reply.get("id") != self.next_id:
            self.kill()
            raise ChildFailure(f"the student's process sent a garbled reply to {what}")
        return reply, body

    def _state(self):
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                return f.read().rsplit(b")", 1)[1].split()[0].decode()
        except (OSError, IndexError):
            return "?"

    def _check(self, deadline, what):
        now = time.monotonic()
        if self._state() != "R":  # sleeping or blocked, not starved of a core
            self.idle += now - self._last_tick
        self._last_tick = now
        if not self.alive():
            raise ChildFailure(
                f"the student's process ended during {what}: {self.death()}"
            )
        cpu = self.cpu_seconds()
        if cpu > deadline.cpu:
            self.kill()
            raise ChildFailure(
                f"{what} ran past its CPU time limit; it was stopped", STOPPED_CPU
            )
        if self.idle > deadline.idle or now > deadline.wall:
            self.kill()
            raise ChildFailure(
                f"{what} did not finish in time; it was stopped", STOPPED_WAIT
            )
        if cpu + self.idle > deadline.total:
            self.kill()
            raise ChildFailure(
                f"{what} ran past its time budget; it was stopped", STOPPED_TOTAL
            )

    def _send(self, data, deadline, what):
        view = memoryview(data)
        while view:
            _, ready, _ = select.select([], [self.req_w], [], 0.05)
            if ready:
                try:
                    view = view[os.write(self.req_w, view[: 1 << 16]) :]
                except BrokenPipeError:
                    raise ChildFailure(
                        f"the student's process ended before {what}: {self.death()}"
                    ) from None
                except BlockingIOError:
                    pass
            else:
                self._check(deadline, what)

    def _read(self, n, deadline, what):
        chunks, got = [], 0
        while got < n:
            ready, _, _ = select.select([self.rep_r], [], [], 0.05)
            if not ready:
                self._check(deadline, what)
                continue
            chunk = os.read(self.rep_r, min(n - got, 1 << 20))
            if not chunk:
                raise ChildFailure(
                    f"the student's process ended during {what}: {self.death()}"
                )
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _receive(self, deadline, what):
        """One reply, its sizes and shape checked before the grader parses it."""
        limit = self.limits.output_mb << 20
        frame = self._read(wire.FRAME.size, deadline, what)
        try:
            head_len, body_len = wire.unpack_frame(frame, limit)
            head = self._read(head_len, deadline, what)
            wire.check_header(head)
            header = wire.decode_header(head)
            body = self._read(body_len, deadline, what)
        except wire.WireError as err:
            why = f"{what}: the student's process broke the rules: {err}"
            raise ChildFailure(why) from None
        except MemoryError:
            raise ChildFailure(
                f"{what}: its reply did not fit in the grader's memory limit "
                f"({self.limits.grader_memory_mb} MiB per submission)"
            ) from None
        return header, body


# ----------------------------------------------------------------- isolation


def _probe(level, course_root):
    env = Environment(level, Limits(part_cpu=20, part_wall=20), course_root)
    child = None
    try:
        child = Child(env, [])
        deadline = Deadline(cpu=60, idle=60, wall=time.monotonic() + 120)
        reply, _ = child.request({"op": "kinds", "names": []}, [], deadline, "a probe")
        return reply.get("ok") is True
    except (ChildFailure, SandboxUnavailable, OSError):
        return False
    finally:
        if child is not None:
            child.close()
        env.close()


class UnsafeIsolation(RuntimeError):
    """An isolation level that cannot keep the guarantees, not allowed."""


def safe_levels():
    """The levels that keep every guarantee on this machine, strongest first.

    "root" always does. "userns" does when the grader is root (the child gets
    a uid of its own) or when the seccomp filter is available (which refuses
    signals and ptrace to the grading user's other processes). "none" never
    does: the child is the grading user, with the audit hook as its only fence.
    """
    if os.geteuid() == 0:
        return ("root", "userns")
    return ("userns",) if seccomp.available() else ()


def detect_isolation(course_root=None, wanted="auto", allow_unsafe=False):
    """The strongest isolation level that works here (or `wanted`, checked).

    A level outside safe_levels() is refused unless allow_unsafe; "auto"
    never picks one silently: without allow_unsafe it raises instead.
    """
    safe = safe_levels()
    if wanted != "auto":
        if wanted not in LEVELS:
            raise ValueError(f"isolation must be one of {LEVELS} or 'auto'")
        if wanted not in safe and not allow_unsafe:
            raise UnsafeIsolation(
                f"isolation {wanted!r} cannot keep student code away from the "
                "course, the gradebook and other processes on this machine; "
                "pass --unsafe-isolation to grade with it anyway"
            )
        if not _probe(wanted, course_root):
            raise RuntimeError(
                f"isolation level {wanted!r} does not work on this machine"
            )
        return wanted
    for level in safe:
        if _probe(level, course_root):
            return level
    if allow_unsafe:
        for level in LEVELS:
            if level not in safe and _probe(level, course_root):
                return level
    tried = ", ".join(safe) or "none available to this user"
    raise UnsafeIsolation(
        f"no isolation level that keeps the guarantees works here (tried: "
        f"{tried}); run as root, or pass --unsafe-isolation to grade without "
        "them"
    )


def describe_isolation(level):
    filter_ = ", seccomp filter" if seccomp.available() else ""
    text = {
        "root": "own user, network, IPC and mount namespaces, read-only file "
        f"system, resource limits{filter_}, audit hook",
        "userns": "own user namespace, network, IPC and mount namespaces, "
        f"read-only file system, resource limits{filter_}, audit hook",
        "none": "resource limits and audit hook only (no OS-level isolation)",
    }[level]
    if level not in safe_levels():
        text += "; UNSAFE: student code can reach what the grader can"
    return text
