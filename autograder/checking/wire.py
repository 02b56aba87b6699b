"""The message format between the grader and the sandboxed student process.

A message is a JSON header plus raw byte blobs for arrays:

    b"AGW1" | uint32 header length | uint64 blob length | header JSON | blobs

Values travel as plain data only: None, bool, int, float, complex, str,
tuple, list, dict, NumPy arrays and scalars of numeric dtypes. Anything else
the student's code returns arrives as a `RemoteObject` that only knows its
type name. Nothing is ever unpickled: `decode` builds arrays with
`np.frombuffer` from a whitelisted dtype and a shape whose size it checks
against the bytes that came.

The trip is lossless for plain data: a NumPy scalar comes back as a NumPy
scalar of its dtype, a 0-d array as a 0-d array, any view (transposed,
broadcast, read-only) or subclass as a plain array with the same dtype, shape
and values, and an int of any size as that int. `carry` makes the trip
without a process in between: the notebook's `check` passes a student's
output through it, so that it judges exactly the value that the grader
receives from the sandbox. An output that cannot make the trip (nested too
deeply, too many values, too many bytes) arrives as an `Unsendable` that says
why, the same in both places.

This module imports only the standard library and NumPy, because the sandbox
runs it too (see engine/sandbox/child.py).
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
#: The default limit on what one answer of the student's process may hold.
OUTPUT_MB = 64
#: Room kept in that limit for the rest of the answer (printed output, ids).
RESERVE = 1 << 20
_INT_LIMIT = 1 << 63
_HEX = re.compile(r"^-?0x[0-9a-f]+$")
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
    """Something the student's code returned that is not plain data.

    `type_name` is its type's dotted name, `description` its repr (both cut
    to 200 characters), `array_dtype` the dtype of an array that is not numeric.
    """

    def __init__(self, type_name, description, dtype=None):
        self.type_name = type_name
        self.description = description
        self.array_dtype = dtype

    def __repr__(self):
        return f"<{type(self).__qualname__} object from the student's code>"


def remote_object(type_name, description="", dtype=None):
    """A RemoteObject whose class carries the student's type name (sanitised)."""
    type_name = str(type_name)[:200]
    module, _, qualname = type_name.rpartition(".")
    qualname = _NAME.sub("_", qualname) or "object"
    cls = type(qualname, (RemoteObject,), {"__module__": _NAME.sub("_", module)})
    dtype = None if dtype is None else str(dtype)[:100]
    return cls(type_name, str(description)[:200], dtype)


class Unsendable:
    """An output that cannot make the trip back; `why` says what is wrong."""

    def __init__(self, why):
        self.why = why

    def __repr__(self):
        return f"<an output that cannot be sent back: {self.why}>"


def carried_dtype(dtype):
    """True for the dtypes that travel as bytes (numbers and bools)."""
    return bool(_DTYPE.match(np.dtype(dtype).str))


class _Encoder:
    """Turns a value into JSON-able nodes and array bytes, counting nodes."""

    def __init__(self, blobs):
        self.blobs = blobs
        self.nodes = 0

    def value(self, value, depth=0):
        self.nodes += 1
        if depth > MAX_DEPTH:
            raise WireError(f"it is nested more than {MAX_DEPTH} levels deep")
        if self.nodes > MAX_NODES:
            raise WireError(f"it holds more than {MAX_NODES} Python values")
        if value is None:
            return {"t": "none"}
        if isinstance(value, bool):
            return {"t": "bool", "v": bool(value)}
        if isinstance(value, (np.ndarray, np.generic)):
            return self._numpy(value)
        if isinstance(value, int):
            return _int_node(int(value))
        if isinstance(value, float):
            return {"t": "float", "v": float(value)}
        if isinstance(value, complex):
            return {"t": "complex", "v": [value.real, value.imag]}
        if isinstance(value, str):
            return {"t": "str", "v": str.__str__(value)[:MAX_STR]}
        if isinstance(value, (tuple, list)):
            kind = "tuple" if isinstance(value, tuple) else "list"
            items = tuple.__iter__(value) if kind == "tuple" else list.__iter__(value)
            return {"t": kind, "v": [self.value(v, depth + 1) for v in items]}
        if isinstance(value, dict):
            pairs = dict.items(value)
            items = [
                [self.value(k, depth + 1), self.value(v, depth + 1)] for k, v in pairs
            ]
            return {"t": "dict", "v": items}
        if isinstance(value, RemoteObject):  # a value that made the trip already
            node = {"t": "obj", "type": value.type_name, "repr": value.description}
            return (
                node if value.array_dtype is None else {**node, "d": value.array_dtype}
            )
        if isinstance(value, Unsendable):
            return {"t": "unsendable", "why": str(value.why)[:MAX_STR]}
        return _describe_object(value)

    def _numpy(self, value):
        if not carried_dtype(value.dtype):
            return _describe_object(value, dtype=str(value.dtype))
        a = np.asarray(value)  # a subclass or a view: the plain array of its values
        self.blobs.append(a.tobytes(order="C"))
        kind = "np" if isinstance(value, np.generic) else "nd"
        return {
            "t": kind,
            "d": a.dtype.str,
            "s": list(a.shape),
            "b": len(self.blobs) - 1,
        }


def _int_node(v):
    # JSON would carry any int, but Python refuses to print one of more than
    # 4300 digits; hexadecimal has no such limit.
    if -_INT_LIMIT < v < _INT_LIMIT:
        return {"t": "int", "v": v}
    return {"t": "int", "x": hex(v)}


def encode(value, blobs, depth=0):
    """A JSON-able description of `value`; array bytes are appended to blobs.

    Raises WireError for a value nested deeper than MAX_DEPTH or made of more
    than MAX_NODES values (which the decoder would refuse).
    """
    return _Encoder(blobs).value(value, depth)


def _describe_object(value, dtype=None):
    kind = type(value)
    name = f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', '?')}"
    try:
        text = repr(value)[:200]
    except Exception:  # the student's __repr__ may raise anything
        text = "?"
    node = {"t": "obj", "type": str(name)[:200], "repr": str(text)}
    return node if dtype is None else {**node, "d": dtype}


def output_limit(mb=OUTPUT_MB):
    """The most bytes an output may take (the answer's limit less the reserve)."""
    return max((int(mb) << 20) - RESERVE, 0)


def encode_output(value, max_bytes):
    """(node, blobs) for an output; an "unsendable" node if it cannot travel.

    Both the sandbox (for what a student's function returns) and `carry` (in
    the notebook) use this, so an output too large, too deep or too big a
    tree is refused with the same words in both places.
    """
    blobs = []
    try:
        node = encode(value, blobs)
    except (WireError, RecursionError) as err:
        return {"t": "unsendable", "why": str(err)}, []
    size = sum(len(b) for b in blobs)
    if size <= max_bytes:
        described = len(json.dumps(node, allow_nan=True))
        if described > MAX_HEADER - RESERVE:
            why = (
                f"it holds too many values to send back ({described / 2**20:.1f} "
                f"MiB of description, limit {(MAX_HEADER - RESERVE) / 2**20:.0f} MiB)"
            )
            return {"t": "unsendable", "why": why}, []
        size += described
    if size > max_bytes:
        why = (
            f"it is too large to send back ({size / 2**20:.1f} MiB, "
            f"limit {max_bytes / 2**20:.1f} MiB)"
        )
        return {"t": "unsendable", "why": why}, []
    return node, blobs


def carry(value, max_bytes=None):
    """`value` after the trip from the sandbox to the grader, made in-process.

    The same encoding, message bytes and decoding as the real trip, so the
    result is what the grader would receive.
    """
    if max_bytes is None:
        max_bytes = output_limit()
    node, blobs = encode_output(value, max_bytes)
    data = pack({"value": node}, blobs)
    _, head_len, _ = FRAME.unpack(data[: FRAME.size])
    head = decode_header(data[FRAME.size : FRAME.size + head_len])
    return decode_values(head, data[FRAME.size + head_len :], ["value"])[0]


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
        if kind == "int" and "x" in node:
            return self._big_int(node["x"])
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
            dtype = node.get("d")
            return remote_object(
                node.get("type", "?"),
                node.get("repr", ""),
                dtype if isinstance(dtype, str) else None,
            )
        if kind == "unsendable":
            return Unsendable(str(node.get("why", "?"))[:MAX_STR])
        raise WireError(f"unknown value kind {kind[:20]!r}")

    def _scalar(self, kind, v):
        expected = {"bool": bool, "int": int, "float": (float, int), "str": str}[kind]
        if isinstance(v, bool) and kind != "bool" or not isinstance(v, expected):
            raise WireError(f"bad {kind}")
        if kind == "str" and len(v) > MAX_STR:
            raise WireError("string too long")
        return float(v) if kind == "float" else v

    def _big_int(self, text):
        if not (isinstance(text, str) and len(text) <= MAX_STR and _HEX.match(text)):
            raise WireError("bad int")
        return int(text, 16)

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
