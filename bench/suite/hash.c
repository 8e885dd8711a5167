/* Hashing: FNV-1a of 16-byte keys inserted into an open-addressing table in .bss (n keys,
 * table of 2n slots rounded up to a power of two), then n lookups. */
#include "suite.h"
#define MAXN (1 << 20)
static unsigned long keys[2 * MAXN];
static long vals[2 * MAXN];
static unsigned long fnv(unsigned long a, unsigned long b)
{
    unsigned long h = 14695981039346656037ul;
    for (int i = 0; i < 8; i++) h = (h ^ ((a >> (8 * i)) & 0xFF)) * 1099511628211ul;
    for (int i = 0; i < 8; i++) h = (h ^ ((b >> (8 * i)) & 0xFF)) * 1099511628211ul;
    return h;
}
static long hash(long n)
{
    long size = 1;
    while (size < 2 * n) size <<= 1;
    for (long i = 0; i < size; i++) keys[i] = 0;
    for (long i = 0; i < n; i++) {
        unsigned long k = (unsigned long)i * 0x9E3779B97F4A7C15ul | 1;
        unsigned long slot = fnv(k, ~k) & (size - 1);
        while (keys[slot] && keys[slot] != k) slot = (slot + 1) & (size - 1);
        keys[slot] = k;
        vals[slot] = i;
    }
    long sum = 0;
    for (long i = 0; i < n; i += 1) {
        unsigned long k = (unsigned long)(i * 3) * 0x9E3779B97F4A7C15ul | 1;
        unsigned long slot = fnv(k, ~k) & (size - 1);
        while (keys[slot] && keys[slot] != k) slot = (slot + 1) & (size - 1);
        sum = sum * 31 + (keys[slot] ? vals[slot] : -1);
    }
    return sum;
}
SUITE_ENTRY(hash)
