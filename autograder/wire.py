"""The message format between the grader and the sandboxed student process.

A message is a JSON header plus raw byte blobs for arrays:

    b"AGW1" | uint32 header length | uint64 blob length | header JSON | blobs

Values travel as plain data only: None, bool, int, float, complex, str,
tuple, list, dict, NumPy arrays and scalars of numeric dtypes. Anything else
the student's code returns arrives as a `RemoteObject` that only knows its
type name. Nothing is ever unpickled: `decode` builds arrays with
`np.frombuffer` from a whitelisted dtype and a shape whose size it checks
against the bytes that came.

This module imports only the standard library and NumPy, because the sandbox
runs it too (see sandbox_child.py).
"""

import json
import re
import struct

import numpy as np

MAGIC = b"AGW1"
FRAME = struct.Struct(">4sIQ")
MAX_DEPTH = 40
MAX_NODES = 200_000
MAX_STR = 1 << 20
# What the grader parses of one reply's JSON header, whatever the blob limit:
# its size (a few MiB: output, messages and the value tree, never array data)
# and its number of containers, counted before parsing, so that the work of
# parsing is bounded before it starts.
MAX_HEADER = 4 << 20
MAX_CONTAINERS = 4 * MAX_NODES
_DTYPE = re.compile(r"^[<>|=][biufc](1|2|4|8|16)$")
_NAME = re.compile(r"[^A-Za-z0-9_.]")


class WireError(ValueError):
    """A message that does not follow the format (or exceeds its limits)."""


class RemoteObject:
    """Something the student's code returned that is not plain data."""

    def __init__(self, description):
        self._description = description

    def __repr__(self):
        return f"<{type(self).__qualname__} object from the student's code>"


def remote_object(type_name, description=""):
    """A RemoteObject whose class carries the student's type name (sanitised)."""
    module, _, qualname = str(type_name)[:200].rpartition(".")
    qualname = _NAME.sub("_", qualname) or "object"
    cls = type(qualname, (RemoteObject,), {"__module__": _NAME.sub("_", module)})
    return cls(str(description)[:200])


def _array_header(a, blobs):
    a = np.ascontiguousarray(a)
    blobs.append(a.tobytes())
    return {"t": "nd", "d": a.dtype.str, "s": list(a.shape), "b": len(blobs) - 1}


def encode(value, blobs, depth=0):
    """A JSON-able description of `value`; array bytes are appended to blobs."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool):
        return {"t": "bool", "v": bool(value)}
    if isinstance(value, int) and not isinstance(value, np.generic):
        return {"t": "int", "v": int(value)}
    if isinstance(value, float) and not isinstance(value, np.generic):
        return {"t": "float", "v": float(value)}
    if isinstance(value, complex) and not isinstance(value, np.generic):
        return {"t": "complex", "v": [value.real, value.imag]}
    if isinstance(value, str):
        return {"t": "str", "v": str(value)[:MAX_STR]}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return _array_header(np.asarray(value), blobs)
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        head = _array_header(np.asarray(value), blobs)
        return {**head, "t": "np"}
    if isinstance(value, (tuple, list)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"t": kind, "v": [encode(v, blobs, depth + 1) for v in value]}
    if isinstance(value, dict):
        items = [
            [encode(k, blobs, depth + 1), encode(v, blobs, depth + 1)]
            for k, v in value.items()
        ]
        return {"t": "dict", "v": items}
    return _describe_object(value)


def _describe_object(value):
    kind = type(value)
    name = f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', '?')}"
    try:
        text = repr(value)[:200]
    except Exception:  # the student's __repr__ may raise anything
        text = "?"
    return {"t": "obj", "type": str(name)[:200], "repr": str(text)}


def pack(header, blobs=()):
    """The bytes of one message (the header gets the table of blob sizes)."""
    header = {**header, "blobs": [len(b) for b in blobs]}
    head = json.dumps(header, allow_nan=True).encode("utf-8")
    body = b"".join(blobs)
    return FRAME.pack(MAGIC, len(head), len(body)) + head + body


def unpack_frame(frame, max_bytes, max_header=MAX_HEADER):
    """(header length, blob length) from the fixed-size frame; checks limits."""
    magic, head_len, body_len = FRAME.unpack(frame)
    if magic != MAGIC:
        raise WireError("not a grader message")
    if head_len > max_header:
        raise WireError(
            f"its reply header is too large ({head_len / 2**20:.1f} MiB, "
            f"limit {max_header / 2**20:.0f} MiB)"
        )
    if head_len > max_bytes or body_len > max_bytes or head_len + body_len > max_bytes:
        size = (head_len + body_len) / 2**20
        raise WireError(
            f"the output is too large to send back ({size:.0f} MiB, "
            f"limit {max_bytes / 2**20:.0f} MiB)"
        )
    return head_len, body_len


class _Decoder:
    """Rebuilds values from a header and its blobs, trusting nothing."""

    def __init__(self, body, blob_sizes):
        if not isinstance(blob_sizes, list) or not all(
            type(n) is int and n >= 0 for n in blob_sizes
        ):
            raise WireError("bad blob table")
        if sum(blob_sizes) != len(body):
            raise WireError("blob sizes do not add up")
        self.blobs = []
        start = 0
        for n in blob_sizes:
            self.blobs.append(body[start : start + n])
            start += n
        self.nodes = 0

    def value(self, node, depth=0):
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise WireError("value too deep or too large")
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            raise WireError("bad value")
        kind = node["t"]
        if kind == "none":
            return None
        if kind in ("bool", "int", "float", "str"):
            return self._scalar(kind, node.get("v"))
        if kind == "complex":
            re_im = node.get("v")
            if not (isinstance(re_im, list) and len(re_im) == 2):
                raise WireError("bad complex")
            return complex(
                self._scalar("float", re_im[0]), self._scalar("float", re_im[1])
            )
        if kind in ("nd", "np"):
            array = self._array(node)
            return array[()] if kind == "np" else array
        if kind in ("tuple", "list"):
            items = node.get("v")
            if not isinstance(items, list):
                raise WireError("bad sequence")
            values = [self.value(v, depth + 1) for v in items]
            return tuple(values) if kind == "tuple" else values
        if kind == "dict":
            return self._dict(node.get("v"), depth)
        if kind == "obj":
            return remote_object(node.get("type", "?"), node.get("repr", ""))
        raise WireError(f"unknown value kind {kind[:20]!r}")

    def _scalar(self, kind, v):
        expected = {"bool": bool, "int": int, "float": (float, int), "str": str}[kind]
        if isinstance(v, bool) and kind != "bool" or not isinstance(v, expected):
            raise WireError(f"bad {kind}")
        if kind == "str" and len(v) > MAX_STR:
            raise WireError("string too long")
        return float(v) if kind == "float" else v

    def _array(self, node):
        dtype, shape, index = node.get("d"), node.get("s"), node.get("b")
        if not (isinstance(dtype, str) and _DTYPE.match(dtype)):
            raise WireError("dtype not allowed")
        if not (isinstance(shape, list) and len(shape) <= 32) or not all(
            type(n) is int and 0 <= n for n in shape
        ):
            raise WireError("bad shape")
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise WireError("bad blob index")
        dt = np.dtype(dtype)
        data = self.blobs[index]
        count = 1
        for n in shape:
            count *= n
        if count * dt.itemsize != len(data):
            raise WireError("array size does not match its bytes")
        return np.frombuffer(data, dtype=dt).reshape(shape).copy()

    def _dict(self, items, depth):
        if not isinstance(items, list):
            raise WireError("bad dict")
        out = {}
        for pair in items:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise WireError("bad dict item")
            key = self.value(pair[0], depth + 1)
            try:
                out[key] = self.value(pair[1], depth + 1)
            except TypeError:  # unhashable key
                raise WireError("unhashable dict key") from None
        return out


def check_header(head, max_containers=MAX_CONTAINERS):
    """Refuse a header with more JSON containers than any real reply has.

    Brackets inside strings count too: the bound errs on the safe side.
    """
    containers = head.count(b"{") + head.count(b"[")
    if containers > max_containers:
        raise WireError(
            f"its reply header holds too many values ({containers} containers, "
            f"limit {max_containers})"
        )


def decode_header(head):
    """The header dict of a message (JSON only)."""
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise WireError(f"unreadable message: {err}") from None
    if not isinstance(header, dict):
        raise WireError("message is not an object")
    return header


def decode_values(header, body, keys):
    """The values stored under `keys` in a message, rebuilt from its blobs."""
    decoder = _Decoder(body, header.get("blobs", []))
    try:
        return [decoder.value(header[k]) if k in header else None for k in keys]
    except RecursionError:
        raise WireError("value nested too deeply") from None
