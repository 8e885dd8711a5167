/* Quicksort (insertion sort below 16) of n pseudo-random longs in .bss; a checksum of the order. */
#include "suite.h"
#define MAXN 1000000
static long v[MAXN];
static void isort(long *a, long n)
{
    for (long i = 1; i < n; i++) {
        long x = a[i], j = i;
        while (j > 0 && a[j - 1] > x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}
static void qsort_rec(long *a, long n)
{
    while (n > 16) {
        long p = a[n / 2], i = 0, j = n - 1;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) {
                long t = a[i]; a[i] = a[j]; a[j] = t;
                i++, j--;
            }
        }
        if (j + 1 < n - i) {
            qsort_rec(a, j + 1);
            a += i, n -= i;
        } else {
            qsort_rec(a + i, n - i);
            n = j + 1;
        }
    }
    isort(a, n);
}
static long sort(long n)
{
    unsigned long s = 88172645463325252ul;
    for (long i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        v[i] = (long)(s % 1000003);
    }
    qsort_rec(v, n);
    long sum = 0;
    for (long i = 0; i < n; i++)
        sum = sum * 31 + v[i];
    return sum;
}
SUITE_ENTRY(sort)
