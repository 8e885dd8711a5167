/* Recursive Collatz walk for the debugger tests: begin() recurses (not a tail call: it updates
   `deepest` after the call returns), main() prints with printf. */
#include <stdio.h>

static long deepest;

__attribute__((noinline)) long begin(long n, long depth)
{
    if (n == 1)
        return depth;
    long next = n % 2 == 0 ? n / 2 : 3 * n + 1;
    long total = begin(next, depth + 1);
    if (depth > deepest)
        deepest = depth;
    return total;
}

int main(int argc, char **argv)
{
    long start = argc > 1 ? 7 : 6;
    long steps = begin(start, 0);
    printf("collatz(%ld) takes %ld steps\n", start, steps);
    return (int)steps;
}
