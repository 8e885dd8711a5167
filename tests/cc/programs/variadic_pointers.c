/* Structs through "..." (read back with va_arg(ap, struct S): small ones in their slots, large
 * ones by address), and libc's variadic and ordinary functions called through pointers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct pair { int a; double b; };      /* 16 bytes: two slots */
struct big { long x[5]; };             /* 40 bytes: by address */
struct tiny { char c; short s; };      /* 4 bytes: one slot */
struct odd { char c[3]; };             /* 3 bytes */
struct floats { float x, y; };         /* 8 bytes */

__attribute__((noinline)) static long mix(int n, ...)
{
    va_list ap, copy;
    va_start(ap, n);
    long total = 0;
    for (int i = 0; i < n; i++) {
        struct pair p = va_arg(ap, struct pair);
        total = total * 31 + p.a + (long)(p.b * 8);
    }
    struct big b = va_arg(ap, struct big);
    va_copy(copy, ap);
    struct tiny t = va_arg(ap, struct tiny);
    struct tiny again = va_arg(copy, struct tiny);
    double d = va_arg(ap, double);
    struct odd o = va_arg(ap, struct odd);
    struct floats f = va_arg(ap, struct floats);
    long last = va_arg(ap, long);
    va_end(copy);
    va_end(ap);
    for (int i = 0; i < 5; i++)
        total = total * 7 + b.x[i];
    printf("t=%d,%d again=%d,%d d=%.17g o=%d,%d,%d f=%g,%g last=%ld\n", t.c, t.s, again.c, again.s, d,
           o.c[0], o.c[1], o.c[2], (double)f.x, (double)f.y, last);
    return total;
}

static void vlog(const char *tag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("[%s] ", tag);
    vprintf(fmt, ap);
    va_end(ap);
}

typedef int (*printer)(const char *, ...);
typedef int (*sprinter)(char *, size_t, const char *, ...);
typedef int (*scanner)(const char *, const char *, ...);

printer volatile chosen = printf;
static printer table[] = { printf, printf };

__attribute__((noinline)) static int apply(printer p, int v)
{
    return p("apply %d %s %.3f %c %lld %5.2e|\n", v, "text", 1.5, 'q', -123456789012345LL, 6.02e23);
}

int main(void)
{
    struct pair p = { 1, 2.5 }, q = { -3, -0.125 };
    struct big b = { { 1, 2, 3, 4, 5 } };
    struct tiny t = { 3, -4 };
    struct odd o = { { 7, 8, 9 } };
    struct floats f = { 1.25f, -2.5f };
    printer direct = chosen;
    int n = direct("%ld %f %s\n", mix(2, p, q, b, t, 3.25, o, f, -7L), 2.0, "str");
    printf("n=%d\n", n);
    printf("n=%d\n", apply(printf, 42));
    printf("n=%d\n", table[n & 1]("%s|%5d|%-5x|%%|%p\n", "tab", 12, 255, (void *)0));
    vlog("log", "%d %s %g\n", 5, "five", 5.5);

    char buf[64];
    sprinter volatile sp = snprintf;
    n = sp(buf, sizeof buf, "%d-%d-%g-%s", 1, 2, 0.5, "end");
    printf("%s (%d)\n", buf, n);
    int x = 0, y = 0;
    char word[16];
    scanner volatile sc = sscanf;
    n = sc("12 34 abc", "%d %d %15s", &x, &y, word);
    printf("scanned %d: %d %d %s\n", n, x, y, word);
    int (*volatile put)(const char *) = puts;
    put("via puts");
    size_t (*volatile length)(const char *) = strlen;
    printf("%zu %d\n", length("hello"), length == strlen);
    return 0;
}
