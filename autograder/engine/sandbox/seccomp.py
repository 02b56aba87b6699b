"""A seccomp filter for the student's process: system calls it never needs.

Installed by process.py in the forked child just before it runs Python, so
it holds from the first instruction of the student's interpreter onwards,
whatever that interpreter later does to itself (raw memory writes, ctypes).
It refuses, with EPERM:

- sockets of any family (no network, no Unix socket of a database);
- signals to any process but itself (kill/tgkill to its own pid only);
- ptrace and reading or writing another process's memory;
- new processes and threads (clone, fork, vfork; clone3 answers ENOSYS so
  that the C library falls back to clone, which is refused);
- mounts, namespaces, chroot, kernel modules, keyrings, BPF, perf events,
  userfaultfd, io_uring, and the clock, host name and reboot calls.

Only x86-64 has a table here; elsewhere `available()` is False and the
sandbox says so (the other OS boundaries still hold).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000

# x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
_X86_64 = {
    "socket": 41,
    "socketpair": 53,
    "clone": 56,
    "fork": 57,
    "vfork": 58,
    "kill": 62,
    "ptrace": 101,
    "syslog": 103,
    "rt_sigqueueinfo": 129,
    "personality": 135,
    "vhangup": 153,
    "pivot_root": 155,
    "adjtimex": 159,
    "chroot": 161,
    "acct": 163,
    "settimeofday": 164,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "sethostname": 170,
    "setdomainname": 171,
    "iopl": 172,
    "ioperm": 173,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "tkill": 200,
    "clock_settime": 227,
    "tgkill": 234,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "rt_tgsigqueueinfo": 297,
    "perf_event_open": 298,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "pidfd_send_signal": 424,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_open": 434,
    "clone3": 435,
    "pidfd_getfd": 438,
    "mount_setattr": 442,
}
# Allowed only when their first argument is the process itself (or 0 for kill:
# its own process group, which is itself alone: the sandbox starts a session).
_SELF_ONLY = ("kill", "tgkill")
_ENOSYS = ("clone3",)

_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_RET_ALLOW, _RET_KILL, _RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16


def available():
    """Whether this machine has a table (x86-64 Linux)."""
    return platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64")


def _insn(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def program(pid):
    """The BPF program (bytes) for a process whose pid is `pid`."""
    errno_of = {n: errno.ENOSYS if n in _ENOSYS else errno.EPERM for n in _X86_64}
    out = [
        _insn(_LD_W_ABS, _OFF_ARCH),
        _insn(_JEQ_K, _AUDIT_ARCH_X86_64, 1, 0),
        _insn(_RET_K, _RET_KILL),
        _insn(_LD_W_ABS, _OFF_NR),
        _insn(_JGE_K, _X32_BIT, 0, 1),  # the x32 ABI: never used here
        _insn(_RET_K, _RET_KILL),
    ]
    for name in _SELF_ONLY:
        out += [
            _insn(_JEQ_K, _X86_64[name], 0, 5),
            _insn(_LD_W_ABS, _OFF_ARG0),  # the pid's low word: the kernel's int
            _insn(_JEQ_K, pid, 2, 0),
            _insn(_JEQ_K, 0, 1, 0),
            _insn(_RET_K, _RET_ERRNO | errno.EPERM),
            _insn(_RET_K, _RET_ALLOW),
        ]
    for name, number in _X86_64.items():
        if name in _SELF_ONLY:
            continue
        out += [
            _insn(_JEQ_K, number, 0, 1),
            _insn(_RET_K, _RET_ERRNO | errno_of[name]),
        ]
    out.append(_insn(_RET_K, _RET_ALLOW))
    return b"".join(out)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install(libc):
    """Install the filter on this process (needs no_new_privs set first)."""
    code = program(os.getpid())
    buf = ctypes.create_string_buffer(code, len(code))
    prog = _SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_void_p))
    result = libc.prctl(
        _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0
    )
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {os.strerror(err)}")
