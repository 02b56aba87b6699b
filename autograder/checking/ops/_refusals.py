"""PyTorch's refusals, whatever exception type it uses, as InvalidArguments.

`call_torch` turns PyTorch's RuntimeErrors into InvalidArguments. Some
functions refuse arguments with other types: `F.pad` raises
NotImplementedError for an unsupported combination of mode and input rank,
`torch.nn.Conv2d` raises ValueError when groups does not divide the channels.
"""

from __future__ import annotations

from ..registry import InvalidArguments, call_torch


def call_refusing(fn, *args, **kwargs):
    """call_torch(fn, ...), with NotImplementedError and ValueError refusals too."""
    try:
        return call_torch(fn, *args, **kwargs)
    except (NotImplementedError, ValueError) as err:
        if isinstance(err, InvalidArguments):
            raise
        raise InvalidArguments(str(err)) from None
