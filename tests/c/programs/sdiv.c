/* Signed division and remainder of negative numbers at every width (C truncates toward zero). */
#include <stdio.h>
#include <limits.h>

static volatile long values[] = { 7, -7, 3, -3, 1, -1, 100, -100, 2147483647, -2147483647 - 1,
                                  LONG_MAX, LONG_MIN + 1 };

int main(void)
{
    int n = sizeof(values) / sizeof(values[0]);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            long a = values[i], b = values[j];
            int ia = (int)a, ib = (int)b;
            if (b == 0 || ib == 0)
                continue;
            if (!(ia == INT_MIN && ib == -1))
                printf("%d/%d=%d %d%%%d=%d ", ia, ib, ia / ib, ia, ib, ia % ib);
            printf("%ld/%ld=%ld %ld%%%ld=%ld\n", a, b, a / b, a, b, a % b);
        }
    }
    short s = -300; signed char c = -100;
    printf("%d %d %d %d\n", s / 7, s % 7, c / 3, c % 3);
    return 0;
}
