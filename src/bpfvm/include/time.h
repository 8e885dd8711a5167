/*
 * time.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.time).
 * time_t and clock_t are 64-bit; clock() counts CPU microseconds.  Local time is UTC (no time
 * zone database in the sandbox); strftime speaks the "C" locale.
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

struct tm {
    int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst;
    long tm_gmtoff;
    const char *tm_zone;
};

time_t time(time_t *__t);
double difftime(time_t __end, time_t __start);
time_t mktime(struct tm *__tm);
time_t timegm(struct tm *__tm);
struct tm *gmtime(const time_t *__t);
struct tm *localtime(const time_t *__t);
struct tm *gmtime_r(const time_t *__t, struct tm *__result);
struct tm *localtime_r(const time_t *__t, struct tm *__result);
size_t strftime(char *__s, size_t __max, const char *__fmt, const struct tm *__tm)
    __attribute__((__format__(__strftime__, 3, 0)));
clock_t clock(void);
int clock_gettime(clockid_t __clock, struct timespec *__ts);

#endif /* _BPFVM_TIME_H */
