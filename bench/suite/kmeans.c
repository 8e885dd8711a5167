/* k-means in double: n 2-D points (.bss), 8 centres, 6 Lloyd iterations; bits of the result. */
#include "suite.h"
#define MAXN 200000
#define K 8
static double px[MAXN], py[MAXN];
static int label[MAXN];
static long kmeans(long n)
{
    double cx[K], cy[K], sx[K], sy[K];
    long cnt[K];
    unsigned int s = 7;
    for (long i = 0; i < n; i++) {
        s = s * 1664525u + 1013904223u; px[i] = (double)(s >> 8) / 16777216.0;
        s = s * 1664525u + 1013904223u; py[i] = (double)(s >> 8) / 16777216.0 + (double)(i % 3);
    }
    for (int c = 0; c < K; c++) { cx[c] = px[c]; cy[c] = py[c]; }
    for (int it = 0; it < 6; it++) {
        for (int c = 0; c < K; c++) sx[c] = sy[c] = 0, cnt[c] = 0;
        for (long i = 0; i < n; i++) {
            int best = 0;
            double bd = 1e300;
            for (int c = 0; c < K; c++) {
                double dx = px[i] - cx[c], dy = py[i] - cy[c], d = dx * dx + dy * dy;
                if (d < bd) bd = d, best = c;
            }
            label[i] = best;
            sx[best] += px[i], sy[best] += py[i], cnt[best]++;
        }
        for (int c = 0; c < K; c++)
            if (cnt[c]) cx[c] = sx[c] / (double)cnt[c], cy[c] = sy[c] / (double)cnt[c];
    }
    long sum = 0;
    for (int c = 0; c < K; c++) sum = sum * 31 + suite_bits(cx[c]) + 7 * suite_bits(cy[c]);
    for (long i = 0; i < n; i += 97) sum = sum * 31 + label[i];
    return sum;
}
SUITE_ENTRY(kmeans)
