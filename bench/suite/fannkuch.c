/* fannkuch-redux (the Benchmarks Game): checksum * 1000 + max flips for permutations of n. */
#include "suite.h"
static long fannkuch(long n)
{
    int perm[16], perm1[16], count[16];
    long max_flips = 0, checksum = 0, r = n, permutations = 0;
    for (int i = 0; i < n; i++) perm1[i] = i;
    for (;;) {
        while (r != 1) { count[r - 1] = (int)r; r--; }
        for (int i = 0; i < n; i++) perm[i] = perm1[i];
        long flips = 0;
        int k;
        while ((k = perm[0]) != 0) {
            for (int i = 0, j = k; i < j; i++, j--) { int t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
            flips++;
        }
        if (flips > max_flips) max_flips = flips;
        checksum += permutations % 2 == 0 ? flips : -flips;
        for (;;) {
            if (r == n) return checksum * 1000 + max_flips;
            int p0 = perm1[0];
            for (int i = 0; i < r; i++) perm1[i] = perm1[i + 1];
            perm1[r] = p0;
            if (--count[r] > 0) break;
            r++;
        }
        permutations++;
    }
}
SUITE_ENTRY(fannkuch)
