/* 3×3 integer convolution of an n×n 8-bit image in a malloc'ed buffer passed to the filter. */
#include <stdlib.h>
#include "suite.h"
static void filter(unsigned char *out, const unsigned char *in, long n)
{
    static const int k[9] = {1, 2, 1, 2, 4, 2, 1, 2, 1};
    for (long y = 1; y < n - 1; y++)
        for (long x = 1; x < n - 1; x++) {
            int s = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    s += k[(dy + 1) * 3 + dx + 1] * in[(y + dy) * n + x + dx];
            out[y * n + x] = (unsigned char)(s >> 4);
        }
}
static long conv(long n)
{
    unsigned char *in = malloc(n * n), *out = calloc(n * n, 1);
    for (long i = 0; i < n * n; i++)
        in[i] = (unsigned char)((i * 2654435761u) >> 13);
    filter(out, in, n);
    long sum = 0;
    for (long i = 0; i < n * n; i++)
        sum = sum * 31 + out[i];
    free(in), free(out);
    return sum;
}
SUITE_ENTRY(conv)
