/* Integer matrix multiply C = A * B of n x n matrices (n <= MAXN); returns a checksum of C. */
#define MAXN 512
static long a[MAXN * MAXN], b[MAXN * MAXN], c[MAXN * MAXN];

long kernel(long n)
{
    for (long i = 0; i < n * n; i++) {
        a[i] = (i * 7 + 3) % 101 - 50;
        b[i] = (i * 13 + 5) % 97 - 48;
    }
    for (long i = 0; i < n; i++)
        for (long j = 0; j < n; j++) {
            long s = 0;
            for (long k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
    long sum = 0;
    for (long i = 0; i < n * n; i++)
        sum = sum * 31 + c[i];
    return sum;
}
