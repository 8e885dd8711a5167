/* Prime sieve: count the primes below n (n <= MAXN). */
#include "bench.h"
#ifndef MAXN
#define MAXN 20000000
#endif
struct buffers { unsigned char composite[MAXN]; };

static long sieve(struct buffers *b, long n)
{
    long count = 0;
    for (long i = 0; i < n; i++)
        b->composite[i] = 0;
    for (long i = 2; i < n; i++) {
        if (b->composite[i])
            continue;
        count++;
        for (long j = i * i; j < n; j += i)
            b->composite[j] = 1;
    }
    return count;
}
BENCH_ENTRY(sieve)
