"""The seccomp filter every candidate runs under, compiled to classic BPF in the server process.

The filter is compiled here, once per process, with pyseccomp (libseccomp), and handed to each
worker as bytes; the worker only loads it with ``prctl``. So the worker needs nothing outside the
standard library and runs under any project interpreter, with or without pyseccomp installed.

The program is compiled for this machine's native architecture, which is the one the project's
interpreter runs on too (a worker under a foreign-architecture interpreter would be killed by the
filter's architecture check at its first system call, not run unconfined).
"""

from __future__ import annotations

import errno
import functools
import logging
import os
from dataclasses import dataclass

log = logging.getLogger(__name__)

CLONE_THREAD = 0x00010000
TIOCSTI = 0x5412

# Denied with EPERM. Landlock cannot guard metadata, hence the chmod/chown/utime/xattr family:
# without bubblewrap those would reach the user's files.
DENIED_SYSCALLS = (
    "socket",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "sendmsg",
    "sendmmsg",
    "execve",
    "execveat",
    "fork",
    "vfork",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "tkill",
    "pidfd_open",
    "pidfd_send_signal",
    "pidfd_getfd",
    "setsid",
    "setpgid",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "personality",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "open_by_handle_at",
    "name_to_handle_at",
    "chmod",
    "fchmod",
    "fchmodat",
    "fchmodat2",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
)


@dataclass(frozen=True)
class SeccompProgram:
    """The compiled filter (empty when it could not be built) and, then, why not."""

    program: bytes
    error: str = ""


@functools.lru_cache(maxsize=1)
def compiled() -> SeccompProgram:
    """Return the filter, compiled on first use and kept for the life of the process.

    Never raises: when pyseccomp or libseccomp is missing, ``program`` is empty and ``error``
    says why; workers then refuse to run candidates (and say so in their hello).
    """
    try:
        program = build_seccomp_program()
    except Exception as error:  # libseccomp missing or refusing: reported, never fatal here
        message = f"{type(error).__name__}: {error}"
        log.error("sandbox: cannot compile the seccomp filter (%s)", message)
        return SeccompProgram(b"", message)
    return SeccompProgram(program)


def build_seccomp_program() -> bytes:
    """Compile the filter to classic BPF; a worker's children load it in one ``prctl`` call.

    Denied (EPERM): network (a Unix socket pair stays allowed, sending to no address: the
    event loop of asyncio needs one), exec, process creation (threads stay allowed), tracing,
    sending any signal (a candidate cannot even signal itself: the rule must not depend on a
    pid, so that it can be compiled once), namespace and mount changes, and file-metadata
    changes.
    """
    import pyseccomp

    deny = pyseccomp.ERRNO(errno.EPERM)
    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            rules.add_rule(deny, name)
        except (OSError, ValueError):  # a syscall this kernel/arch does not have
            continue
    # clone3 passes its flags in memory a filter cannot read: answer ENOSYS so the C library
    # falls back to clone, whose flags it can check. Threads (CLONE_THREAD) stay allowed.
    rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    rules.add_rule(deny, "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, CLONE_THREAD, 0))
    for name in ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        rules.add_rule(deny, name)
    # setrlimit() is prlimit64(0, ...); another pid (even our own, spelled out) is refused.
    rules.add_rule(deny, "prlimit64", pyseccomp.Arg(0, pyseccomp.NE, 0))
    rules.add_rule(deny, "ioctl", pyseccomp.Arg(1, pyseccomp.EQ, TIOCSTI))
    # asyncio's event loop wakes itself through a connected pair of sockets (its "self pipe"):
    # every `asyncio.run` needs socketpair() (allowed: a pair reaches only itself) and send(),
    # which is sendto() without an address. With socket() and connect() denied, a pair is all
    # a candidate can hold, and an address (a local service's socket, as /dev/log) is refused.
    rules.add_rule(deny, "sendto", pyseccomp.Arg(4, pyseccomp.NE, 0))
    # export_bpf writes to a file descriptor; a pipe keeps the program off the disk.
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "wb", closefd=True) as sink:
            rules.export_bpf(sink)
        program = b""
        while chunk := os.read(read_end, 65536):
            program += chunk
    finally:
        os.close(read_end)
    if not program or len(program) % 8:
        raise ValueError(f"libseccomp produced a malformed program ({len(program)} bytes)")
    return program
