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

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4
#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

typedef __PTRDIFF_TYPE__ __bpfvm_off_t;

ssize_t read(int __fd, void *__buf, size_t __n);
ssize_t pread(int __fd, void *__buf, size_t __n, __bpfvm_off_t __offset);
ssize_t pwrite(int __fd, const void *__buf, size_t __n, __bpfvm_off_t __offset);
__bpfvm_off_t lseek(int __fd, __bpfvm_off_t __offset, int __whence);
int close(int __fd);
int fsync(int __fd);
int fdatasync(int __fd);
int ftruncate(int __fd, __bpfvm_off_t __length);
int unlink(const char *__path);
int access(const char *__path, int __mode);
ssize_t write(int __fd, const void *__buf, size_t __n);
int isatty(int __fd);
void _exit(int __status) __BPFVM_NORETURN;

#endif /* _BPFVM_UNISTD_H */
