/* Spins until the debugger sets `release`: for interrupting a running program. */
#include <stdio.h>

volatile int release;

int main(void)
{
    long turns = 0;
    while (!release)
        turns++;
    printf("released after %s turns\n", turns > 0 ? "some" : "no");
    return 3;
}
