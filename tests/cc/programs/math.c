/* <math.h> functions; printed with fewer digits where libm implementations may differ. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static volatile double one = 1.0;

int main(void)
{
    double xs[] = {0.0, 0.5, 1.0, 2.0, 10.0, -3.7, 100.25};
    for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double x = xs[i] * one;
        printf("x=%g sqrt=%.17g fabs=%g floor=%g ceil=%g trunc=%g round=%g rint=%g\n", x, sqrt(fabs(x)),
               fabs(x), floor(x), ceil(x), trunc(x), round(x), rint(x));
        printf("  exp=%.12g log=%.12g log10=%.12g log2=%.12g sin=%.12g cos=%.12g tan=%.12g atan=%.12g\n",
               exp(x), log(fabs(x)), log10(fabs(x)), log2(fabs(x)), sin(x), cos(x), tan(x), atan(x));
        printf("  pow=%.12g atan2=%.12g hypot=%.12g fmod=%.17g cbrt=%.12g tanh=%.12g\n", pow(fabs(x), 1.5),
               atan2(x, 2.0), hypot(x, 4.0), fmod(x, 0.75), cbrt(x), tanh(x));
    }
    printf("%g %g %g %g\n", round(2.5 * one), round(-2.5 * one), rint(2.5 * one), rint(3.5 * one));
    printf("%g %g %g %g\n", floor(-0.0 * one), ceil(-0.25 * one), fmin(one, NAN), fmax(-one, 2.0));
    printf("%d %g %g %g\n", pow(-8.0 * one, 1.0 / 3.0) == pow(-8.0 * one, 1.0 / 3.0), pow(0.0 * one, -1.0),
           pow(-0.0 * one, -3.0), pow(one, NAN));
    printf("%g %g %g\n", log(0.0 * one), exp(1000.0 * one), sqrt(1e-300 * one));
    int e;
    double m = frexp(48.0 * one, &e);
    double whole;
    double frac = modf(-3.75 * one, &whole);
    printf("%g %d %g %g %g %ld\n", m, e, ldexp(m, e), frac, whole, lround(-2.5 * one));
    printf("%.17g %.17g\n", M_PI * one, sqrt(M_PI * one));
    double s = 0.0;
    for (int i = 1; i < 200; i++)
        s += sin(i * 0.1) * cos(i * 0.05) / sqrt((double)i);
    printf("checksum %.10f\n", s);
    return 0;
}
