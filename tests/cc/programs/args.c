/* More than five arguments: direct, recursive, indirect (function pointers) and mixed types. */
#include <stdio.h>

struct point {
    int x, y;
};

static long six(int a, long b, char c, short d, unsigned e, long long f)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * (long)e + 6 * f;
}

__attribute__((noinline)) double mix(double a, float b, int c, double d, const char *s, double f, float g, long h)
{
    return a + b + c + d + s[0] + f + g + h;
}

__attribute__((noinline)) long many(long a1, long a2, long a3, long a4, long a5, long a6, long a7, long a8,
                                    long a9, long a10)
{
    long here = a1 - a2 + a3 * a4 - a5 + a6 * a7 - a8 + a9 * a10;
    return here + (a10 > 0 ? many(a2, a3, a4, a5, a6, a7, a8, a9, a10 - 1, a1) : 0);
}

__attribute__((noinline)) void fill(struct point *p, int n, int x0, int y0, int dx, int dy, unsigned char tag)
{
    for (int i = 0; i < n; i++) {
        p[i].x = x0 + i * dx + tag;
        p[i].y = y0 + i * dy - tag;
    }
}

typedef long (*fn7)(long, long, long, long, long, long, long);

__attribute__((noinline)) long weigh(long a, long b, long c, long d, long e, long f, long g)
{
    return a * 1 + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7;
}

__attribute__((noinline)) long spread(long a, long b, long c, long d, long e, long f, long g)
{
    return (a ^ g) + (b | f) - (c & e) + d;
}

__attribute__((noinline)) long apply(fn7 fn, long base, long step, long count, long scale, long bias)
{
    long total = 0;
    for (long i = 0; i < count; i++)
        total += fn(base, base + step, base + 2 * step, i, scale, bias, -i) * scale + bias;
    return total;
}

static fn7 table[] = {weigh, spread};

int main(int argc, char **argv)
{
    volatile int k = argc;
    struct point pts[4];
    printf("%ld\n", six(k, k + 1, 'a', -5, 7u, 1LL << 40));
    printf("%.17g\n", mix(1.5, 2.25f, -3, 1e10, "A", -0.5, 0.125f, 99));
    printf("%ld\n", many(1, 2, 3, 4, 5, 6, 7, 8, 9, 12));
    fill(pts, 4, 10, 20, 3, -2, 7);
    for (int i = 0; i < 4; i++)
        printf("(%d,%d) ", pts[i].x, pts[i].y);
    printf("\n");
    for (int i = 0; i < 2; i++)
        printf("%ld %ld\n", table[(i + k - 1) % 2](1, 2, 3, 4, 5, 6, 7), apply(table[i], k, 3, 5, 2, -1));
    return 0;
}
