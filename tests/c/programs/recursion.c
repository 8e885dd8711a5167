/* Recursion: the seed's Collatz, Fibonacci, Ackermann (deep), mutual recursion. */
#include <stdio.h>

static long collatz(long n) { return n <= 1 ? 0 : 1 + collatz(n % 2 ? 3 * n + 1 : n / 2); }
static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static int ackermann(int m, int n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}
static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

int main(void)
{
    for (long n = 1; n <= 30; n += 7)
        printf("collatz(%ld) = %ld\n", n, collatz(n));
    printf("collatz(27) = %ld\n", collatz(27));
    printf("fib(20) = %ld\n", fib(20));
    printf("ackermann(2, 3) = %d\n", ackermann(2, 3));
    printf("is_even(300) = %d, is_odd(301) = %d\n", is_even(300), is_odd(301));
    return 0;
}
