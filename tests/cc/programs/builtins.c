/* The math.h classification macros and the __builtin_ forms clang turns into LLVM intrinsics
 * (llvm.powi, ldexp, frexp, modf, lround, lrint, minnum, maxnum, round, trunc, rint, nearbyint,
 * copysign, is.fpclass …) on special and ordinary values, double and float, printed bit-exact. */
#include <math.h>
#include <stdio.h>

static volatile double values[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.5, 0.49999999999999994, 1e-310, -4.9e-324,
    2.2250738585072014e-308, 1e300, -1e300, 123456.789, -9.999, 4503599627370497.0, 9.2e18, -9.3e18,
    1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0, 3.0, 0.1,
};
static volatile int exponents[] = { 0, 1, -1, 3, -3, 7, 10, -10, 31, 100, -1074, 1100, -2000 };

static void classify(double d)
{
    float f = (float)d;
    printf("  class %d %d %d %d %d %d %d | %d %d %d %d %d %d\n", isnan(d) != 0, isinf(d) != 0,
           isfinite(d) != 0, isnormal(d) != 0, signbit(d) != 0, fpclassify(d), __builtin_isinf_sign(d),
           isnan(f) != 0, isinf(f) != 0, isfinite(f) != 0, isnormal(f) != 0, signbit(f) != 0, fpclassify(f));
    printf("  cmp %d %d %d %d %d %d\n", isgreater(d, 1.0), isgreaterequal(d, 1.0), isless(d, 1.0),
           islessequal(d, 1.0), islessgreater(d, 1.0), isunordered(d, 1.0));
}

static void rounding(double d)
{
    float f = (float)d;
    printf("  round %a %a %a %a %a %a\n", __builtin_round(d), __builtin_trunc(d), __builtin_rint(d),
           __builtin_nearbyint(d), __builtin_floor(d), __builtin_ceil(d));
    printf("  roundf %a %a %a %a\n", (double)__builtin_roundf(f), (double)__builtin_truncf(f),
           (double)__builtin_rintf(f), (double)__builtin_nearbyintf(f));
    if (isfinite(d) && fabs(d) < 9e18) {
        printf("  lround %ld %lld %ld %lld\n", __builtin_lround(d), __builtin_llround(d), __builtin_lrint(d),
               __builtin_llrint(d));
        if (fabs(d) < 2e9)
            printf("  lroundf %ld %ld\n", __builtin_lroundf(f), __builtin_lrintf(f));
    }
}

static void pairs(double d, double e)
{
    float f = (float)d, g = (float)e;
    printf("  minmax %a %a %a %a\n", __builtin_fmin(d, e), __builtin_fmax(d, e), (double)__builtin_fminf(f, g),
           (double)__builtin_fmaxf(f, g));
    printf("  copysign %a %a\n", __builtin_copysign(d, e), (double)__builtin_copysignf(f, g));
}

static void parts(double d)
{
    int e = 0, ef = 0;
    double m = __builtin_frexp(d, &e);
    float mf = __builtin_frexpf((float)d, &ef);
    printf("  frexp %a %d %a %d\n", m, isfinite(d) ? e : 0, (double)mf, isfinite((float)d) ? ef : 0);
    double whole;
    float wholef;
    double frac = __builtin_modf(d, &whole);
    float fracf = __builtin_modff((float)d, &wholef);
    printf("  modf %a %a %a %a\n", frac, whole, (double)fracf, (double)wholef);
    for (unsigned i = 0; i < sizeof exponents / sizeof exponents[0]; i++) {
        int n = exponents[i];
        printf("  %d: ldexp %a %a powi %a %a\n", n, __builtin_ldexp(d, n), (double)__builtin_ldexpf((float)d, n),
               n > -50 && n < 50 ? __builtin_powi(d, n) : 0.0,
               n > -50 && n < 50 ? (double)__builtin_powif((float)d, n) : 0.0);
    }
}

int main(void)
{
    unsigned n = sizeof values / sizeof values[0];
    for (unsigned i = 0; i < n; i++) {
        double d = values[i];
        printf("%a\n", d);
        classify(d);
        rounding(d);
        pairs(d, values[(i * 7 + 3) % n]);
        parts(d);
    }
    return 0;
}
