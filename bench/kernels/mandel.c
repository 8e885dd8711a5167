/* Mandelbrot set in double: escape iteration counts of an n x n tile (n <= MAXN); returns a
 * checksum of the counts.  IEEE double arithmetic only (no libm), so results are bit-exact. */
#include "bench.h"
#ifndef MAXN
#define MAXN 512
#endif
#define MAXITER 200
struct buffers { unsigned char iters[MAXN * MAXN]; };

static long mandel(struct buffers *b, long n)
{
    for (long y = 0; y < n; y++) {
        double ci = -1.25 + 2.5 * (double)y / (double)n;
        for (long x = 0; x < n; x++) {
            double cr = -2.0 + 2.5 * (double)x / (double)n;
            double zr = 0.0, zi = 0.0;
            int k = 0;
            while (k < MAXITER && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                k++;
            }
            b->iters[y * n + x] = (unsigned char)k;
        }
    }
    long sum = 0;
    for (long i = 0; i < n * n; i++)
        sum = (sum * 31 + b->iters[i]) & 0xFFFFFFFFFFFFL;
    return sum;
}
BENCH_ENTRY(mandel)
