/* double arithmetic: rounding, NaN, infinities, signed zeros, subnormals, comparisons. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static volatile double zero = 0.0, one = 1.0, third = 1.0 / 3.0, big = 1e308, tiny = 5e-324;

static void show(const char *what, double x)
{
    printf("%-10s %.17g %a %d%d%d%d\n", what, x, x, isnan(x) != 0, isinf(x) != 0, signbit(x) != 0,
           fpclassify(x));
}

static void compare(double a, double b)
{
    printf("%g %g: < %d <= %d == %d != %d > %d >= %d unordered %d lessgreater %d\n", a, b, a < b, a <= b,
           a == b, a != b, a > b, a >= b, isunordered(a, b), islessgreater(a, b));
}

int main(void)
{
    show("third", third);
    show("sum", third + third + third);
    show("0.1+0.2", 0.1 * one + 0.2 * one);
    show("sub", one - third);
    show("mul", third * 3.0 * one);
    show("div", one / 7.0);
    show("rem", fmod(10.5 * one, 3.0));
    show("frem", (double)(long)(7.5 * one) - 7.5);
    show("overflow", big * 10.0);
    show("-overflow", -big * 10.0);
    show("underflow", tiny / 2.0);
    show("subnormal", tiny * 3.0);
    show("denorm+", 2.2250738585072014e-308 * one - 2.2250738585072009e-308);
    show("1/0", one / zero);
    show("-1/0", -one / zero);
    show("1/-0", one / -zero);
    show("-0", -zero);
    show("0*-1", zero * -one);
    show("-0+0", -zero + zero);
    show("-0-0", -zero - zero);
    show("inf-inf", isnan(big * 10.0 - big * 10.0) ? 0.5 : 1.0);
    show("0/0", isnan(zero / zero) ? 0.25 : 1.0);
    show("sqrt2", sqrt(2.0 * one));
    show("sqrt-0", sqrt(-zero));
    show("fabs", fabs(-3.5 * one));
    show("copysign", copysign(2.0 * one, -zero));
    compare(1.0 * one, 2.0);
    compare(2.0 * one, 2.0);
    compare(-zero, zero);
    compare(zero / zero, 1.0);
    compare(one / zero, big);
    double acc = 0.0;
    for (int i = 1; i <= 1000; i++)
        acc += one / i;
    show("harmonic", acc);
    double p = one;
    for (int i = 0; i < 60; i++)
        p = p * 1.5 - 0.25;
    show("poly", p);
    return 0;
}
