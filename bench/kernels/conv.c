/* 3x3 integer convolution over a generated W x h image (h <= MAXN); returns a checksum. */
#include "bench.h"
#ifndef MAXN
#define MAXN 8192
#endif
#define W 256
struct buffers { unsigned char img[MAXN][W]; int out[MAXN][W]; };

static long conv(struct buffers *b, long h)
{
    unsigned int seed = 7;
    for (long y = 0; y < h; y++)
        for (long x = 0; x < W; x++) {
            seed = seed * 1103515245u + 12345u;
            b->img[y][x] = (unsigned char)(seed >> 16);
        }
    static const int k[3][3] = {{1, 2, 1}, {2, -12, 2}, {1, 2, 1}};
    for (long y = 1; y < h - 1; y++)
        for (long x = 1; x < W - 1; x++) {
            int s = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++)
                    s += k[dy + 1][dx + 1] * b->img[y + dy][x + dx];
            b->out[y][x] = s;
        }
    long sum = 0;
    for (long y = 1; y < h - 1; y++)
        for (long x = 1; x < W - 1; x++)
            sum = (sum * 33 + b->out[y][x]) & 0xFFFFFFFFFFFFL;
    return sum;
}
BENCH_ENTRY(conv)
