/* A JSON-ish tokenizer: generates n bytes of JSON-like text in a malloc'ed buffer, then counts
 * and hashes its tokens (strings with escapes, numbers, literals, punctuation). */
#include <stdlib.h>
#include "suite.h"
static long generate(char *buf, long n)
{
    static const char *const parts[] = {"{\"key\": ", "[1, 2.5e3, -7]", "\"va\\\"lue\"", ", ", "true",
                                        "null", "}", " 12345", "\"x\"", ": false"};
    unsigned int s = 99;
    long len = 0;
    while (len < n - 16) {
        s = s * 1103515245u + 12345u;
        for (const char *p = parts[(s >> 16) % 10]; *p; p++) buf[len++] = *p;
    }
    buf[len] = 0;
    return len;
}
static long tokenize(const char *p, long len)
{
    long tokens = 0, h = 0, i = 0;
    while (i < len) {
        char c = p[i];
        long start = i;
        if (c == ' ' || c == '\n') { i++; continue; }
        if (c == '"') {
            i++;
            while (i < len && p[i] != '"') i += p[i] == '\\' ? 2 : 1;
            i++;
        } else if ((c >= '0' && c <= '9') || c == '-') {
            while (i < len && ((p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == 'e' || p[i] == '-')) i++;
        } else if (c >= 'a' && c <= 'z') {
            while (i < len && p[i] >= 'a' && p[i] <= 'z') i++;
        } else {
            i++;
        }
        tokens++;
        h = h * 131 + (i - start) * 7 + c;
    }
    return tokens * 1000003 + h;
}
static long tokenizer(long n)
{
    char *buf = malloc(n + 1);
    long r = tokenize(buf, generate(buf, n));
    free(buf);
    return r;
}
SUITE_ENTRY(tokenizer)
