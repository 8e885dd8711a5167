/* Naive substring search: occurrences of four patterns in an n-byte text (.bss), own loops. */
#include "suite.h"
#define MAXN 4000000
static char text[MAXN + 1];
static long count(const char *pat, long m, long n)
{
    long found = 0;
    for (long i = 0; i + m <= n; i++) {
        long j = 0;
        while (j < m && text[i + j] == pat[j])
            j++;
        found += j == m;
    }
    return found;
}
static long strsearch(long n)
{
    unsigned int s = 12345;
    for (long i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        text[i] = "abcab cabbage "[(s >> 16) % 14];
    }
    text[n] = 0;
    return count("abc", 3, n) + 7 * count("cab", 3, n) + 31 * count("bage ca", 7, n)
        + 131 * count("ab ab", 5, n);
}
SUITE_ENTRY(strsearch)
