/* qsort with a guest comparator: the intrinsic calls back into guest code. */
#include <stdio.h>
#include <stdlib.h>

static int calls;

static int compare(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    calls++;
    return (x > y) - (x < y);
}

int main(void)
{
    int values[5] = {5, 3, 9, 1, 7};
    qsort(values, 5, sizeof values[0], compare);
    printf("%d %d %d %d %d (%d calls)\n", values[0], values[1], values[2], values[3], values[4], calls);
    return values[0];
}
