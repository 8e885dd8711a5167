/* float (binary32) arithmetic rounds to single precision after each operation. */
#include <math.h>
#include <stdio.h>

static volatile float one = 1.0f, tenth = 0.1f, big = 3e38f;

int main(void)
{
    float s = 0.0f;
    for (int i = 0; i < 1000; i++)
        s += tenth;
    printf("%.9g %a\n", s, s);
    float q = one / 3.0f;
    printf("%.9g %a %.17g\n", q, q, (double)q * 3.0);
    printf("%.9g %.9g %.9g\n", big * 10.0f, -big * 10.0f, big * 1.1f / 2.0f);
    float d = 1e-45f * one;
    printf("%a %a %a\n", d, d / 2.0f, d * 3.0f);
    printf("%.9g %.9g %.9g\n", sqrtf(2.0f * one), floorf(-2.5f * one), ceilf(-0.5f * one));
    printf("%.9g %.9g\n", fmodf(7.25f * one, 2.0f), roundf(2.5f * one));
    double wide = 0.1 * one;
    float narrow = (float)wide;
    printf("%.17g %.17g\n", (double)narrow, wide - narrow);
    float x = 1.0f;
    for (int i = 0; i < 30; i++)
        x = x * 1.3f - 0.2f * x;
    printf("%.9g %d %d\n", x, x > 1000.0f, (int)x);
    unsigned int u = 4294967295u;
    printf("%.9g %.9g %.9g\n", (float)u * one, (float)16777217 * one, (float)(-16777219) * one);
    long long l = 9007199254740993LL;
    printf("%.9g %.17g\n", (float)l * one, (double)l * one);
    return 0;
}
