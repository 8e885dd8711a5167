/* Prime sieve: count the primes below n (n <= MAXN). */
#define MAXN 20000000
static unsigned char composite[MAXN];

long kernel(long n)
{
    long count = 0;
    for (long i = 0; i < n; i++)
        composite[i] = 0;
    for (long i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (long j = i * i; j < n; j += i)
            composite[j] = 1;
    }
    return count;
}
