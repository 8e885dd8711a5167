/* A hand-written strcmp over n generated strings compared pairwise (8 < n <= MAXN). */
#include "bench.h"
#ifndef MAXN
#define MAXN 400000
#endif
#define LEN 32
struct buffers { char strs[MAXN][LEN]; };

/* strcmp for strings NUL-terminated within LEN bytes; the bound (which the kernel's verifier
 * needs) never cuts a comparison short. */
static int my_strcmp(const char *s, const char *t)
{
    long k = 0;
    while (k < LEN - 1 && s[k] && s[k] == t[k])
        k++;
    return (unsigned char)s[k] - (unsigned char)t[k];
}

static long strcmp_kernel(struct buffers *b, long n)
{
    unsigned int seed = 42;
    for (long i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        /* a long shared prefix so comparisons walk most of the string */
        long len = LEN - 1 - (long)((seed >> 16) % 4);
        for (long j = 0; j < len; j++) {
            seed = seed * 1103515245u + 12345u;
            b->strs[i][j] = j < len - 3 ? 'a' + (char)(j % 26) : 'a' + (char)((seed >> 16) % 3);
        }
        b->strs[i][len] = 0;
    }
    long score = 0;
    for (long i = 0; i < n; i++)
        for (long d = 1; d <= 8; d++) {
            long j = i + d < n ? i + d : i + d - n; /* (i + d) % n, as n > 8 */
            int r = my_strcmp(b->strs[i], b->strs[j]);
            score = score * 3 + (r < 0 ? 1 : r > 0 ? 2 : 0);
            score &= 0xFFFFFFFFFFFFL;
        }
    return score;
}
BENCH_ENTRY(strcmp_kernel)
