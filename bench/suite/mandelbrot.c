/* Mandelbrot set in double: an n×n tile, at most 64 iterations, counts stored in .bss. */
#include "suite.h"
#define MAXN 1024
static unsigned char counts[MAXN * MAXN];
static long mandelbrot(long n)
{
    for (long y = 0; y < n; y++)
        for (long x = 0; x < n; x++) {
            double cr = -2.0 + 2.5 * (double)x / (double)n, ci = -1.25 + 2.5 * (double)y / (double)n;
            double zr = 0, zi = 0;
            int k = 0;
            while (k < 64 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                k++;
            }
            counts[y * n + x] = (unsigned char)k;
        }
    long sum = 0;
    for (long i = 0; i < n * n; i++) sum = sum * 31 + counts[i];
    return sum;
}
SUITE_ENTRY(mandelbrot)
