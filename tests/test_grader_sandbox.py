"""The sandboxed student process and the message format, one rule at a time."""

import os

import numpy as np
import pytest

from autograder.checking import wire
from autograder.engine.sandbox.process import (
    Child,
    ChildFailure,
    Deadline,
    Environment,
    Limits,
    _probe,
)
from helpers import ROOT

LEVELS = [level for level in ("root", "userns", "none") if _probe(level, ROOT)]


@pytest.fixture(scope="module", params=LEVELS)
def child_factory(request):
    env = Environment(
        request.param, Limits(part_cpu=3, part_wall=5, memory_mb=1024), ROOT
    )
    children = []

    def make(files=()):
        child = Child(env, list(files))
        children.append(child)
        return child

    make.level = request.param
    yield make
    for child in children:
        child.close()
    env.close()


def run(child, code):
    """(ok, error message, printed output) of a cell run in the child."""
    deadline = Deadline(cpu=child.cpu_seconds() + 3, idle=child.idle + 5, wall=1e12)
    reply, _ = child.request(
        {"op": "exec", "filename": "<cell t>", "code": code}, [], deadline, "a cell"
    )
    return reply["ok"], (reply.get("error") or {}).get("message", ""), reply["stdout"]


def test_values_travel_as_plain_data():
    """Do arrays, scalars and containers survive the trip unchanged?"""
    value = (
        np.arange(6.0).reshape(2, 3),
        np.float32(1.5),
        [1, None, True, "s", 2.5, 1j],
        {"k": np.zeros((0, 3), np.int16)},
    )
    blobs = []
    header = {"v": wire.encode(value, blobs)}
    data = wire.pack(header, blobs)
    head_len, body_len = wire.unpack_frame(data[: wire.FRAME.size], 1 << 20)
    head = wire.decode_header(data[wire.FRAME.size : wire.FRAME.size + head_len])
    (back,) = wire.decode_values(head, data[wire.FRAME.size + head_len :], ["v"])
    np.testing.assert_array_equal(back[0], value[0])
    assert back[1].dtype == np.float32 and back[1] == 1.5
    assert back[2] == value[2] and back[3]["k"].dtype == np.int16


@pytest.mark.parametrize(
    "node",
    [
        {"t": "nd", "d": "|O8", "s": [1], "b": 0},  # object arrays (pickles)
        {"t": "nd", "d": "<f8", "s": [10**12], "b": 0},  # shape larger than bytes
        {"t": "nd", "d": "<f8", "s": [-1], "b": 0},
        {"t": "pickle", "v": "gASV"},
        {"t": "int", "v": "1"},
    ],
)
def test_decoder_accepts_nothing_but_plain_data(node):
    """Does the grader refuse object dtypes, lying shapes and unknown kinds?"""
    with pytest.raises(wire.WireError):
        wire.decode_values({"v": node, "blobs": [8]}, b"\0" * 8, ["v"])


def test_reply_header_is_bounded_before_it_is_parsed():
    """Is a forged 60 MB header, or one of a million containers, refused unread?"""
    frame = wire.FRAME.pack(wire.MAGIC, 60_000_000, 0)
    with pytest.raises(wire.WireError, match="header is too large"):
        wire.unpack_frame(frame, 64 << 20)
    with pytest.raises(wire.WireError, match="too many values"):
        wire.check_header(b"[" + b"{}," * 1_000_000 + b"{}]")
    wire.check_header(b'{"ok": true, "stdout": "[[[ ]]]", "v": {"t": "none"}}')


def test_unknown_objects_arrive_as_names_only():
    """Is a custom object from the student reduced to its type name?"""
    blobs = []

    class Sneaky:
        def __eq__(self, other):
            return True

    node = wire.encode(Sneaky(), blobs)
    (back,) = wire.decode_values({"v": node, "blobs": []}, b"", ["v"])
    assert isinstance(back, wire.RemoteObject) and back != 1
    assert type(back).__qualname__.endswith("Sneaky")


def test_course_files_are_out_of_reach(child_factory):
    """Can the student's code read the hidden tests or write the gradebook? (No.)"""
    child = child_factory()
    ok, err, _ = run(child, f"open({str(ROOT / 'solutions' / 'README')!r}, 'w')")
    assert not ok
    for path in (ROOT / "solutions" / "02-output-size" / "output-size.ipynb", ROOT):
        ok, err, _ = run(child, f"import os\nprint(os.listdir({str(path)!r}))")
        assert not ok
        ok, err, _ = run(child, f"print(open({str(path)!r}).read(10))")
        assert not ok


def test_own_folder_is_writable(child_factory):
    """Can the student's code use its working folder (and see its own files)?"""
    child = child_factory([("data.txt", b"hello")])
    ok, err, out = run(
        child, "open('x.npy', 'wb').write(b'1')\nprint(open('data.txt').read())"
    )
    assert ok, err
    assert out == "hello\n"


@pytest.mark.parametrize(
    "code",
    [
        "import os; os.fork()",
        "import subprocess; subprocess.run(['true'])",
        "import os; os.system('true')",
        "import socket; socket.create_connection(('127.0.0.1', 22))",
        "import ctypes; ctypes.CDLL(None)",
        "import os; os.kill(os.getppid(), 0)",
        "(lambda: 0).__code__.replace(co_consts=(1,))",
    ],
)
def test_escape_routes_are_closed(child_factory, code):
    """Are processes, sockets, ctypes, signals and hand-made code refused?"""
    ok, err, _ = run(child_factory(), code)
    assert not ok, code


def test_torch_is_a_stub_whose_use_scores_zero(child_factory):
    """Does `import torch` work but any use of it raise ForbiddenCall?"""
    child = child_factory()
    ok, err, _ = run(child, "import torch.nn.functional as F\nF.conv2d(1, 2)")
    assert not ok and "so this part scores zero" in err


def test_real_torch_cannot_be_loaded(child_factory):
    """Can the student reach the real PyTorch by fixing up sys.path? (No.)"""
    import torch

    site = os.path.dirname(os.path.dirname(torch.__file__))
    code = (
        f"import sys\nsys.meta_path[:] = sys.meta_path[1:]\nsys.path.append({site!r})\n"
        "sys.modules.pop('torch', None)\nimport torch\nprint(torch.zeros(1))"
    )
    ok, err, out = run(child_factory(), code)
    assert not ok


def test_memory_and_cpu_limits(child_factory):
    """Do the memory and CPU limits stop a greedy child?"""
    child = child_factory()
    ok, err, _ = run(child, "import numpy as np\na = np.ones(2**31)")
    assert not ok and "Unable to allocate" in err
    with pytest.raises(ChildFailure, match="CPU time limit"):
        run(child, "while True: pass")
    assert not child.alive()


@pytest.mark.skipif("root" not in LEVELS, reason="needs root")
def test_root_level_runs_the_child_as_another_user():
    """With root, is the child another user, without network or /proc?"""
    env = Environment("root", Limits(), ROOT)
    child = Child(env, [])
    try:
        ok, err, out = run(
            child, "import os\nprint(os.getuid(), os.path.exists('/proc/1'))"
        )
        uid, proc = out.split()
        assert ok and int(uid) != 0 and proc == "False"
    finally:
        child.close()
        env.close()
