/* Variadic definitions (va_start/va_arg/va_copy/va_end), the vprintf family, and calls with
 * many arguments, to guest functions, through pointers and to printf. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static long sum(int n, ...)
{
    va_list ap;
    long total = 0;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        total += va_arg(ap, int);
    va_end(ap);
    return total;
}

__attribute__((noinline)) double mixed(const char *kinds, ...)
{
    va_list ap, again;
    double total = 0;
    va_start(ap, kinds);
    va_copy(again, ap);
    for (const char *k = kinds; *k; k++) {
        switch (*k) {
        case 'i': total += va_arg(ap, int); break;
        case 'l': total += (double)va_arg(ap, long long); break;
        case 'u': total += va_arg(ap, unsigned); break;
        case 'd': total += va_arg(ap, double); break;
        case 's': total += (double)strlen(va_arg(ap, const char *)); break;
        case 'c': total += (char)va_arg(ap, int); break;
        }
    }
    va_end(ap);
    /* the copy starts again at the first variadic argument */
    if (*kinds == 'i')
        total += 1000 * va_arg(again, int);
    va_end(again);
    return total;
}

static char message[200];

__attribute__((noinline)) int error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    printf("error %d (%d chars): %s\n", code, n, message);
    return n;
}

__attribute__((noinline)) void report(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static void forward(const char *fmt, va_list ap)
{
    char buf[64];
    vsprintf(buf, fmt, ap);
    puts(buf);
}

__attribute__((noinline)) void outer(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    forward(fmt, ap);
    va_end(ap);
}

/* more than five fixed parameters and variadic ones */
__attribute__((noinline)) long wide(long a, long b, long c, long d, long e, long f, ...)
{
    va_list ap;
    va_start(ap, f);
    long x = va_arg(ap, long), y = va_arg(ap, long);
    va_end(ap);
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * x + 8 * y;
}

typedef long (*summer)(int, ...);

int main(int argc, char **argv)
{
    volatile int k = argc;
    summer fp = k ? sum : 0;
    printf("%ld %ld %ld\n", sum(0), sum(3, 1, 2, 3), sum(10, 1, 2, 3, 4, 5, 6, 7, 8, 9, k));
    printf("%ld\n", fp(12, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12));
    printf("%.17g\n", mixed("ildusc", 7, -5LL, 2.5, 4000000000u, "hello", 'x'));
    printf("%.17g\n", mixed("dddddddd", 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 1e300));
    error(k + 1, "%s=%d, %s=%.3f, %c%c%c, %lld, %x, %p", "a", 42, "pi", 3.14159, 'x', 'y', 'z',
          -1234567890123LL, 0xbeef, (void *)0);
    error(2, "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d", 1, 2, 3, 4, 5, 6, 7, 8,
          9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
    report(stdout, "%s %d %g\n", "report", k, 0.25);
    outer("%d-%d-%d-%s", 1, 2, 3, "end");
    printf("%ld\n", wide(1, 2, 3, 4, 5, 6, 7, 8));
    (printf)("%d %d %d %d %d %d %d\n", 1, 2, 3, 4, 5, 6, 7);
    int (*pf)(const char *, ...) = k > 5 ? 0 : printf;
    (void)pf;
    return 0;
}
