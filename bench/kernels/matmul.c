/* Integer matrix multiply C = A * B of n x n matrices (n <= MAXN); returns a checksum of C. */
#include "bench.h"
#ifndef MAXN
#define MAXN 512
#endif
struct buffers { long a[MAXN * MAXN], b[MAXN * MAXN], c[MAXN * MAXN]; };

static long matmul(struct buffers *m, long n)
{
    for (long i = 0; i < n * n; i++) {
        m->a[i] = (i * 7 + 3) % 101 - 50;
        m->b[i] = (i * 13 + 5) % 97 - 48;
    }
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            long s = 0;
            for (long k = 0; k < n; k++)
                s += m->a[i * n + k] * m->b[k * n + j];
            m->c[i * n + j] = s;
        }
    long sum = 0;
    for (long i = 0; i < n * n; i++)
        sum = sum * 31 + m->c[i];
    return sum;
}
BENCH_ENTRY(matmul)
