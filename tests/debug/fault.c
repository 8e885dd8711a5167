/* A program that faults: a null pointer store three calls deep. */
#include <stdio.h>

__attribute__((noinline)) void poke(int *where, int value)
{
    *where = value;
}

__attribute__((noinline)) int stage(int *where)
{
    poke(where, 42);
    return *where;
}

int main(void)
{
    int ok = 0;
    printf("before\n");
    stage(&ok);
    return stage((int *)0);
}
