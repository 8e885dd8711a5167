/*
 * fcntl.h - bpfvm libc: the O_* constants (Linux's values) and open(), which is not
 * implemented: it returns -1 with errno ENOSYS (there are no descriptors beyond 0-2; use fopen).
 */
#ifndef _BPFVM_FCNTL_H
#define _BPFVM_FCNTL_H

#include <sys/types.h>

#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_ACCMODE 03
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000

int open(const char *__path, int __flags, ...);

#endif /* _BPFVM_FCNTL_H */
