/* printf family: flags, width, precision, length modifiers, up to 10 conversions per call. */
#include <stdio.h>
#include <string.h>

int main(void)
{
    printf("[%d] [%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%*d] [%-*d|]\n", 42, 42, 42, 42, 42, 42, 7, 6, 9, 4, 3);
    printf("[%u] [%x] [%X] [%#x] [%o] [%#o] [%08x] [%lx] [%llu] [%hhu]\n",
           3000000000u, 255, 255, 255, 8, 8, 0xbeef, 0x123456789abcdefUL, 18446744073709551615ULL, 300);
    printf("[%ld] [%lld] [%hd] [%hhd] [%zu] [%c] [%5c] [%-3c|] [%%] [%i]\n",
           -1234567890123L, -5LL, (short)-40000, (signed char)200, sizeof(long), 'A', 'B', 'C', -17);
    printf("[%s] [%10s] [%-10s|] [%.2s] [%*.*s] [%s]\n", "hello", "hi", "left", "truncate", 8, 3, "abcdef", "");
    printf("[%p] [%p]\n", (void *)0x1234, (void *)0);
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%s-%d-%x-%s-%c", "abc", 123, 0xfeed, "tail", '!');
    printf("snprintf -> %d \"%s\"\n", n, buf);
    n = snprintf(buf, 8, "%s", "a long string that is cut");
    printf("truncated -> %d \"%s\" %d\n", n, buf, (int)strlen(buf));
    n = sprintf(buf, "%d+%d=%d", 2, 2, 4);
    printf("sprintf -> %d \"%s\"\n", n, buf);
    fprintf(stdout, "fprintf %s %d\n", "works", 1);
    puts("puts adds a newline");
    putchar('!');
    putchar('\n');
    return 0;
}
