/*
 * sys/time.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.time).
 */
#ifndef _BPFVM_SYS_TIME_H
#define _BPFVM_SYS_TIME_H

#include <time.h>

typedef long suseconds_t;

struct timeval {
    time_t tv_sec;
    suseconds_t tv_usec;
};

struct timezone {
    int tz_minuteswest;
    int tz_dsttime;
};

int gettimeofday(struct timeval *__tv, void *__tz);

#endif /* _BPFVM_SYS_TIME_H */
