/*
 * time.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.time).
 * time_t and clock_t are 64-bit; clock() counts CPU microseconds.  No struct tm functions.
 */
#ifndef _BPFVM_TIME_H
#define _BPFVM_TIME_H

#include <__bpfvm.h>

typedef long time_t;
typedef long clock_t;
typedef int clockid_t;

struct timespec {
    time_t tv_sec;
    long tv_nsec;
};

#define CLOCKS_PER_SEC 1000000L
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4

time_t time(time_t *__t);
clock_t clock(void);
int clock_gettime(clockid_t __clock, struct timespec *__ts);

#endif /* _BPFVM_TIME_H */
