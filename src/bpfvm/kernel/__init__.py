"""The kernel's BPF environment: what programs written for Linux expect around them.

:mod:`.syscall` is the ``bpf()`` system call (maps, BPF_PROG_LOAD, BPF_PROG_TEST_RUN), loaded
from a child process: the test oracle for bpfvm's own implementation of the kernel's semantics.
"""
