/* Inlined functions for the debugger tests: at -O2 clang inlines collatz_next into
   collatz_steps and into main, and collatz_steps (static, called once) into main. */
#include <stdio.h>

static long deepest;

static long collatz_next(long n)
{
    long half = n / 2; /* next: half */
    if (n % 2 == 0)
        return half;
    return 3 * n + 1; /* next: odd */
}

static long collatz_steps(long n)
{
    long steps = 0;
    while (n != 1) {
        n = collatz_next(n); /* steps: call */
        steps++;
        if (steps > deepest)
            deepest = steps;
    }
    return steps; /* steps: return */
}

int main(int argc, char **argv)
{
    long start = argc > 1 ? 27 : 6;
    long first = collatz_next(start); /* main: first */
    long steps = collatz_steps(start); /* main: call */
    printf("collatz(%ld) goes to %ld and takes %ld steps\n", start, first, steps);
    return (int)steps;
}
