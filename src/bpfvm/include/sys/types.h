/*
 * sys/types.h - bpfvm libc: the POSIX types the other headers use.
 */
#ifndef _BPFVM_SYS_TYPES_H
#define _BPFVM_SYS_TYPES_H

#include <__bpfvm.h>

typedef unsigned int mode_t;
typedef long off_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned long dev_t;
typedef unsigned long ino_t;
typedef unsigned long nlink_t;
typedef long blksize_t;
typedef long blkcnt_t;

#endif /* _BPFVM_SYS_TYPES_H */
