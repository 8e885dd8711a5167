/* A hand-written strcmp over n generated strings compared pairwise (n <= MAXN). */
#define MAXN 400000
#define LEN 32
static char strs[MAXN][LEN];

static int my_strcmp(const char *s, const char *t)
{
    while (*s && *s == *t) {
        s++;
        t++;
    }
    return (unsigned char)*s - (unsigned char)*t;
}

long kernel(long n)
{
    unsigned int seed = 42;
    for (long i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        /* a long shared prefix so comparisons walk most of the string */
        long len = LEN - 1 - (long)((seed >> 16) % 4);
        for (long j = 0; j < len; j++) {
            seed = seed * 1103515245u + 12345u;
            strs[i][j] = j < len - 3 ? 'a' + (char)(j % 26) : 'a' + (char)((seed >> 16) % 3);
        }
        strs[i][len] = 0;
    }
    long score = 0;
    for (long i = 0; i < n; i++)
        for (long d = 1; d <= 8; d++) {
            int r = my_strcmp(strs[i], strs[(i + d) % n]);
            score = score * 3 + (r < 0 ? 1 : r > 0 ? 2 : 0);
            score &= 0xFFFFFFFFFFFFL;
        }
    return score;
}
