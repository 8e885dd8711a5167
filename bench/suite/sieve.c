/* Sieve of Eratosthenes over a .bss byte array: the number of primes below n. */
#include "suite.h"
#define MAXN 4000000
static unsigned char composite[MAXN];
static long sieve(long n)
{
    for (long i = 0; i < n; i++)
        composite[i] = 0;
    long count = 0;
    for (long i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (long j = i * i; j < n; j += i)
            composite[j] = 1;
    }
    return count;
}
SUITE_ENTRY(sieve)
