"""The operating system, not the audit hook, keeps student code in its box.

Every test here runs the student's code with the child's audit hook turned
off (Limits.audit_hook=False, a switch only the grader sets), as if a cell
had already defeated it with raw memory writes. The code is written as an
attacker would write it: ctypes, raw system calls, every path it can find.
Whatever it manages is reported back as JSON and must be nothing.
"""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from autograder.engine.sandbox import process as sandbox
from autograder.engine.sandbox.process import Child, Deadline, Environment, Limits
from grader_support import A1, NB1, folder, make_course, put, submission
from helpers import ROOT

SAFE = [level for level in sandbox.safe_levels() if sandbox._probe(level, ROOT)]
NO_HOOK = Limits(part_cpu=60, part_wall=60, memory_mb=1024, audit_hook=False)

pytestmark = pytest.mark.skipif(not SAFE, reason="no safe isolation level here")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course with solutions, a gradebook and another student's submission."""
    root = make_course(tmp_path_factory.mktemp("boundary"))
    put(root, "victim", submission(A1, NB1))
    (root / "gradebook.db").write_bytes(b"SQLite format 3\0 grades")
    return root


@pytest.fixture(scope="module", params=SAFE)
def child(request, course):
    env = Environment(request.param, NO_HOOK, course)
    children = []

    def make():
        children.append(Child(env, []))
        return children[-1]

    yield make
    for c in children:
        c.close()
    env.close()


def attack(child, code):
    """Run the attacker's cell; what it printed, parsed as JSON."""
    deadline = Deadline(cpu=child.cpu_seconds() + 60, idle=child.idle + 60, wall=1e12)
    reply, _ = child.request(
        {"op": "exec", "filename": "<attack>", "code": code}, [], deadline, "attack"
    )
    assert reply["ok"], reply.get("error")
    return json.loads(reply["stdout"])


def test_the_audit_hook_is_really_off(child):
    """Is the switch effective, so that the tests below test the OS alone?"""
    got = attack(
        child(),
        "import ctypes, json\nprint(json.dumps(ctypes.CDLL(None).getpid() > 0))",
    )
    assert got is True


def test_course_solutions_gradebook_and_other_students_are_unreadable(child, course):
    """Can student code read solutions/, the gradebook or a classmate's notebook?"""
    targets = [
        str(course / "solutions" / A1 / NB1),
        str(course / "gradebook.db"),
        str(folder(course, "victim") / NB1),
        str(ROOT / "solutions" / A1 / NB1),
        str(course),
        str(course / "submitted"),
        str(ROOT / "solutions"),
    ]
    code = f"""
import json, os
got = {{}}
for path in {targets!r}:
    try:
        if os.path.isdir(path):
            got[path] = os.listdir(path)
        else:
            with open(path, "rb") as f:
                got[path] = len(f.read())
    except OSError:
        pass
print(json.dumps(got))
"""
    got = attack(child(), code)
    assert got == {} or all(v == [] for v in got.values()), got


WRITE_EVERYWHERE = """
import json, os
work = os.getcwd()
written = []

def try_write(directory):
    if directory == work or directory.startswith(work + "/"):
        return
    name = os.path.join(directory, ".sandbox-probe")
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError:
        pass
    else:
        os.close(fd)
        written.append(name)
        os.unlink(name)
    try:
        os.mkdir(name + "-dir")
    except OSError:
        pass
    else:
        written.append(name + "-dir")
        os.rmdir(name + "-dir")

for directory in EXTRA:
    try_write(directory)
for top, dirs, files in os.walk("/"):
    try_write(top)
    for name in files:  # writable files (no O_CREAT, no truncation)
        path = os.path.join(top, name)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
        except OSError:
            continue
        os.close(fd)
        if not path.startswith("/dev/"):
            written.append(path)
print(json.dumps(written[:50]))
"""


def test_nothing_outside_its_folder_is_writable(child):
    """Can student code create a file anywhere but its own folder (every mount)?"""
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = [line.split()[4] for line in f]
    extra = sorted(set(points) | {"/run/lock", "/etc", "/usr/bin", "/var/tmp"})
    got = attack(child(), f"EXTRA = {extra!r}\n" + WRITE_EVERYWHERE)
    assert got == []


@pytest.fixture
def root_sleeper():
    proc = subprocess.Popen(["sleep", "600"], start_new_session=True)
    yield proc
    proc.kill()
    proc.wait()


def test_processes_outside_cannot_be_signalled(child, root_sleeper):
    """Can student code kill a root process outside (by any system call)?"""
    code = f"""
import ctypes, json, os, signal
libc = ctypes.CDLL(None, use_errno=True)
pid = {root_sleeper.pid}
done = []
for name, call in [
    ("os.kill", lambda: os.kill(pid, signal.SIGKILL)),
    ("os.killpg", lambda: os.killpg(pid, signal.SIGKILL)),
    ("libc.kill", lambda: libc.kill(pid, 9) == 0 or 1 / 0),
    ("tgkill", lambda: libc.syscall(234, pid, pid, 9) == 0 or 1 / 0),
    ("ptrace attach", lambda: libc.ptrace(16, pid, 0, 0) == 0 or 1 / 0),
    ("pidfd", lambda: libc.syscall(434, pid, 0) >= 0 or 1 / 0),
]:
    try:
        call()
        done.append(name)
    except (OSError, ZeroDivisionError):
        pass
print(json.dumps(done))
"""
    got = attack(child(), code)
    time.sleep(0.2)
    assert got == [] and root_sleeper.poll() is None


def test_no_network_not_even_loopback(child):
    """Can student code reach a port the grader's machine listens on? (No.)"""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    abstract = socket.socket(socket.AF_UNIX)
    abstract.bind(b"\0autograder-boundary-test")
    abstract.listen(1)
    code = f"""
import json, socket
reached = []
for family, address in [
    (socket.AF_INET, ("127.0.0.1", {port})),
    (socket.AF_UNIX, b"\\0autograder-boundary-test"),
]:
    try:
        s = socket.socket(family)
        s.settimeout(2)
        s.connect(address)
        reached.append(str(address))
    except OSError:
        pass
print(json.dumps(reached))
"""
    try:
        got = attack(child(), code)
    finally:
        server.close()
        abstract.close()
    assert got == []


def test_no_privilege_or_namespace_tricks(child):
    """Can student code become root, mount, or leave its namespaces? (No.)"""
    code = """
import ctypes, json, os
libc = ctypes.CDLL(None, use_errno=True)
done = []
for name, call in [
    ("setuid 0", lambda: os.setuid(0)),
    ("unshare user", lambda: libc.unshare(0x10000000) == 0 or 1 / 0),
    ("umount /tmp", lambda: libc.umount2(b"/tmp", 2) == 0 or 1 / 0),
    ("mount tmpfs", lambda: libc.mount(b"t", b"/tmp", b"tmpfs", 0, None) == 0 or 1 / 0),
    ("fork", lambda: os.fork() or os._exit(0)),
    ("chroot", lambda: os.chroot("/")),
]:
    try:
        call()
        done.append(name)
    except (OSError, ZeroDivisionError):
        pass
print(json.dumps(done))
"""
    assert attack(child(), code) == []


def test_real_torch_is_out_of_reach(child):
    """With the hook gone, can the real PyTorch be imported? (No: not mounted.)"""
    import torch

    site = os.path.dirname(os.path.dirname(torch.__file__))
    code = f"""
import json, sys
sys.meta_path = [f for f in sys.meta_path if "Forbidden" not in repr(f)]
sys.path.append({site!r})
for name in [m for m in sys.modules if m.startswith("torch")]:
    del sys.modules[name]
try:
    import torch
    print(json.dumps(str(torch.zeros(1))))
except Exception:
    print(json.dumps(None))
"""
    assert attack(child(), code) is None


@pytest.fixture
def odd_top_folder():
    """A course kept in a folder at the top of the file system that no list
    names (CI clones into /check/...; an instructor may use /data or /srv2)."""
    if os.geteuid() != 0:
        pytest.skip("only root can make a folder at /")
    top = f"/agprobe-{os.getpid()}"
    os.makedirs(f"{top}/course/solutions")
    with open(f"{top}/course/solutions/answer.py", "w") as f:
        f.write("SECRET = 42\n")
    os.chmod(f"{top}/course/solutions/answer.py", 0o644)
    os.chmod(top, 0o755)
    os.chmod(f"{top}/course", 0o755)
    os.chmod(f"{top}/course/solutions", 0o755)
    yield top
    import shutil

    shutil.rmtree(top, ignore_errors=True)


def test_a_course_anywhere_on_disk_is_unreadable(child, odd_top_folder):
    """Folders at / are hidden unless they are the system's own, whatever their
    name: a course under /agprobe-N (world-readable) cannot be listed or read."""
    code = f"""
import json, os
got = {{}}
for path in [{odd_top_folder!r}, {odd_top_folder + "/course/solutions/answer.py"!r}]:
    try:
        if os.path.isdir(path):
            got[path] = os.listdir(path)
        else:
            with open(path) as f:
                got[path] = f.read()
    except OSError:
        pass
print(json.dumps(got))
"""
    got = attack(child(), code)
    assert all(v == [] for v in got.values()), got


def test_the_allowlist_hides_every_other_top_folder():
    """What the child may see at / is a short list of system folders."""
    hidden = set(sandbox.top_level_hidden())
    for entry in os.listdir("/"):
        path = "/" + entry
        if os.path.isdir(path) and not os.path.islink(path):
            assert (path in sandbox.SYSTEM) != (path in hidden), path
    for must in ("/tmp", "/root", "/home", "/var", "/opt"):
        if os.path.isdir(must) and not os.path.islink(must):
            assert must in hidden


def test_unsafe_levels_are_named():
    """Is 'none' never among the safe levels, and root's levels always safe?"""
    assert "none" not in sandbox.safe_levels()
    if os.geteuid() == 0:
        assert {"root", "userns"} <= set(sandbox.safe_levels())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
