/* Structs passed and returned by value: small, medium and large, beyond the fifth argument,
 * through function pointers, modified by the callee (the caller's copy must not change). */
#include <stdio.h>

struct pair { int a, b; };
struct vec3 { double x, y, z; };
struct big { long v[12]; char tag; };
typedef struct { unsigned char r, g, b; } rgb;
struct span { long lo, hi; };

__attribute__((noinline)) struct pair make_pair(int a, int b)
{
    struct pair p = {a, b};
    return p;
}

__attribute__((noinline)) struct vec3 add(struct vec3 u, struct vec3 v)
{
    struct vec3 w = {u.x + v.x, u.y + v.y, u.z + v.z};
    return w;
}

__attribute__((noinline)) struct vec3 cross(struct vec3 u, struct vec3 v)
{
    return (struct vec3){u.y * v.z - u.z * v.y, u.z * v.x - u.x * v.z, u.x * v.y - u.y * v.x};
}

__attribute__((noinline)) long consume(struct big b)
{
    long total = b.tag;
    for (int i = 0; i < 12; i++) {
        total += b.v[i] * (i + 1);
        b.v[i] = -1; /* the callee's own copy */
    }
    return total;
}

__attribute__((noinline)) struct big build(long seed, char tag)
{
    struct big b;
    for (int i = 0; i < 12; i++)
        b.v[i] = seed * i - 7;
    b.tag = tag;
    return b;
}

__attribute__((noinline)) long late(long a, long b, long c, long d, long e, struct big x, struct pair p, rgb c3,
                                    struct span s, int last)
{
    return a + b + c + d + e + consume(x) + p.a * 100 + p.b + c3.r + c3.g * 2 + c3.b * 3 + s.lo * 7 - s.hi + last;
}

__attribute__((noinline)) long width(struct span s, struct span t, long k)
{
    return (s.hi - s.lo) * k + (t.hi - t.lo);
}

__attribute__((noinline)) rgb blend(rgb x, rgb y)
{
    return (rgb){(unsigned char)((x.r + y.r) / 2), (unsigned char)((x.g + y.g) / 2), (unsigned char)((x.b + y.b) / 2)};
}

static struct pair fib_pair(int n)
{
    if (n == 0)
        return make_pair(0, 1);
    struct pair p = fib_pair(n - 1);
    return make_pair(p.b, p.a + p.b);
}

typedef struct vec3 (*op)(struct vec3, struct vec3);

int main(int argc, char **argv)
{
    volatile int k = argc;
    struct pair p = make_pair(k, k * 2);
    printf("%d %d\n", p.a, p.b);
    struct vec3 u = {1.5, -2, 3}, v = {0.25, 4, -1};
    op ops[2] = {add, cross};
    for (int i = 0; i < 2; i++) {
        struct vec3 w = ops[(i + k - 1) % 2](u, v);
        printf("%.17g %.17g %.17g\n", w.x, w.y, w.z);
    }
    struct big b = build(k + 10, 'q');
    printf("%ld %ld %ld\n", consume(b), b.v[3], consume(b));
    struct span s = {k * 3, k * 1000};
    printf("%ld\n", late(1, 2, 3, 4, 5, b, p, (rgb){10, 20, 30}, s, -9));
    printf("%ld\n", width(s, (struct span){-5, 5}, 3));
    rgb c = blend((rgb){255, 0, 100}, (rgb){1, 200, 51});
    printf("%u %u %u\n", c.r, c.g, c.b);
    struct pair f = fib_pair(40);
    printf("%d %d\n", f.a, f.b);
    return 0;
}
