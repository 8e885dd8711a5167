/* Conversions between integers and floating point at the edges of defined behaviour. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

static volatile double one = 1.0;

int main(void)
{
    volatile int64_t ints[] = {0, 1, -1, INT_MAX, INT_MIN, INT64_MAX, INT64_MIN, 9007199254740993LL,
                               -9007199254740993LL, 123456789012345678LL};
    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++)
        printf("%lld -> %.17g %.9g\n", (long long)ints[i], (double)ints[i], (float)ints[i]);
    volatile uint64_t big[] = {UINT64_MAX, 1ULL << 63, (1ULL << 63) + 1025, 18446744073709549568ULL};
    for (unsigned i = 0; i < sizeof big / sizeof big[0]; i++)
        printf("%llu -> %.17g %.9g\n", (unsigned long long)big[i], (double)big[i], (float)big[i]);
    volatile double reals[] = {0.0, -0.0, 0.5, -0.5, 0.999999, -0.999999, 2147483647.9, -2147483648.9,
                               1e18, -1e18, 9223372036854774784.0, 4294967295.5};
    for (unsigned i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        double r = reals[i];
        printf("%.17g -> int %d long %lld", r, r > -2147483649.0 && r < 2147483648.0 ? (int)r : 0, (long long)r);
        if (r > -1.0)
            printf(" unsigned %llu uint %u", (unsigned long long)r, r < 4294967296.0 ? (unsigned)r : 0u);
        printf(" char %d short %d\n", r > -129.0 && r < 128.0 ? (signed char)r : 0,
               r > -32769.0 && r < 32768.0 ? (short)r : 0);
    }
    unsigned char c = 200;
    short sh = -300;
    _Bool b = 1;
    printf("%g %g %g %g\n", c * one, sh * one, (double)b, (double)(unsigned short)65535);
    float f = 16777216.0f;
    printf("%d %u %lld\n", (int)(f + 1.0f), (unsigned)(f * 2.0f), (long long)(f * f));
    return 0;
}
