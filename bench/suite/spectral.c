/* spectral-norm (the Benchmarks Game) in double over .bss vectors of n: the norm's bits. */
#include <math.h>
#include "suite.h"
#define MAXN 2000
static double u[MAXN], v[MAXN], t[MAXN];
static double A(long i, long j) { return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1); }
static void mul_av(const double *x, double *y, long n)
{
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long j = 0; j < n; j++) s += A(i, j) * x[j];
        y[i] = s;
    }
}
static void mul_atv(const double *x, double *y, long n)
{
    for (long i = 0; i < n; i++) {
        double s = 0;
        for (long j = 0; j < n; j++) s += A(j, i) * x[j];
        y[i] = s;
    }
}
static void mul_atav(const double *x, double *y, long n) { mul_av(x, t, n); mul_atv(t, y, n); }
static long spectral(long n)
{
    for (long i = 0; i < n; i++) u[i] = 1.0;
    for (int i = 0; i < 10; i++) { mul_atav(u, v, n); mul_atav(v, u, n); }
    double vbv = 0, vv = 0;
    for (long i = 0; i < n; i++) { vbv += u[i] * v[i]; vv += v[i] * v[i]; }
    return suite_bits(sqrt(vbv / vv));
}
SUITE_ENTRY(spectral)
