/*
 * unistd.h - bpfvm libc: only read() on descriptor 0 and write() on 1 and 2 (the VM's
 * stdin, stdout and stderr), isatty and _exit.
 */
#ifndef _BPFVM_UNISTD_H
#define _BPFVM_UNISTD_H

#include <__bpfvm.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

ssize_t read(int __fd, void *__buf, size_t __n);
ssize_t write(int __fd, const void *__buf, size_t __n);
int isatty(int __fd);
void _exit(int __status) __BPFVM_NORETURN;

#endif /* _BPFVM_UNISTD_H */
