#include "project.h"

long total = 100;
int records;
static __attribute__((noinline)) int twice(int x) { return 2 * x; }
int util_twice(int x) { return twice(x); }
void record(int value) { total += twice(value); records++; }
/* A weak default that weak.c's strong definition replaces. */
__attribute__((weak)) int tuning(void) { return -1; }
