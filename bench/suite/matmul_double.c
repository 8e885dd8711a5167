/* n×n double matrix product over malloc'ed matrices passed to the product (i-k-j order). */
#include <stdlib.h>
#include "suite.h"
static void product(double *c, const double *a, const double *b, long n)
{
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) {
            double x = a[i * n + k];
            for (long j = 0; j < n; j++)
                c[i * n + j] += x * b[k * n + j];
        }
}
static long matmul_double(long n)
{
    double *a = malloc(n * n * sizeof(double)), *b = malloc(n * n * sizeof(double));
    double *c = calloc(n * n, sizeof(double));
    for (long i = 0; i < n * n; i++) {
        a[i] = (double)((i * 7 + 3) % 101) / 17.0;
        b[i] = (double)((i * 13 + 5) % 97) / 23.0;
    }
    product(c, a, b, n);
    long sum = 0;
    for (long i = 0; i < n * n; i++)
        sum = sum * 31 + suite_bits(c[i]);
    free(a), free(b), free(c);
    return sum;
}
SUITE_ENTRY(matmul_double)
