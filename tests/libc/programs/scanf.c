/* sscanf and vsscanf: integers of every size, strings, scansets, %n, suppression, failures. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int scan_pair(const char *text, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsscanf(text, fmt, ap);
    va_end(ap);
    return n;
}

int main(void) {
    int a = 0, b = 0, n = 0, consumed = 0;
    unsigned u = 0;
    long long big = 0;
    unsigned long long ubig = 0;
    short h = 0;
    signed char hh = 0;
    size_t z = 0;
    char word[32] = "", rest[32] = "", tail[32] = "", c3[4] = "";

    n = sscanf("  -17 0x1F 077", "%d %x %o", &a, &b, &u);
    printf("%d: %d %d %u\n", n, a, b, u);
    n = sscanf("0x10 010 10", "%i %i %i", &a, &b, &u);
    printf("%d: %d %d %u\n", n, a, b, u);
    n = sscanf("-99999999999999999999 99999999999999999999", "%lld %llu", &big, &ubig);
    printf("%d: %lld %llu\n", n, big, ubig);
    n = sscanf("70000 300 42", "%hd %hhd %zu", &h, &hh, &z);
    printf("%d: %d %d %zu\n", n, h, hh, z);
    n = sscanf("doom2.wad", "doom%d.wad%n", &a, &consumed);
    printf("%d: %d %d\n", n, a, consumed);
    n = sscanf("key = value;tail", "%31[^ =] = %31[^;];%n%31s", word, rest, &consumed, tail);
    printf("%d: [%s] [%s] %d [%s]\n", n, word, rest, consumed, tail);
    n = sscanf("12345", "%2d%*1d%d", &a, &b);
    printf("%d: %d %d\n", n, a, b);
    n = sscanf("hello", "%3c", c3);
    c3[3] = '\0';
    printf("%d: %s\n", n, c3);
    printf("%d %d %d %d\n", sscanf("", "%d", &a), sscanf("   ", "%d", &a), sscanf("x", "%d", &a),
           sscanf("5", "%*d%d", &a));
    printf("%d %d\n", sscanf("100%", "%d%%", &a), sscanf("abc", "abd%d", &a));
    n = scan_pair("3,4", "%d,%d", &a, &b);
    printf("%d: %d %d\n", n, a, b);
    return 0;
}
