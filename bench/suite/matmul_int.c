/* n×n int32 matrix product C = A·B over .bss arrays (i-k-j order, which gcc vectorises). */
#include "suite.h"
#define MAXN 256
static int a[MAXN * MAXN], b[MAXN * MAXN], c[MAXN * MAXN];
static long matmul_int(long n)
{
    for (long i = 0; i < n * n; i++) {
        a[i] = (int)((i * 7 + 3) % 101) - 50;
        b[i] = (int)((i * 13 + 5) % 97) - 48;
        c[i] = 0;
    }
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) {
            int x = a[i * n + k];
            for (long j = 0; j < n; j++)
                c[i * n + j] += x * b[k * n + j];
        }
    long sum = 0;
    for (long i = 0; i < n * n; i++)
        sum = sum * 31 + c[i];
    return sum;
}
SUITE_ENTRY(matmul_int)
