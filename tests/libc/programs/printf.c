/* The printf family with many conversions: bpfvm and native glibc must print the same bytes. */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    char buf[128];
    int n;
    long big = LONG_MIN;
    unsigned char uc = 200;
    short sh = -12345;
    const char *none = NULL;

    printf("%d %i %u %o %x %X %c %s %p %%\n", -42, 42, 3000000000u, 8, 255, 255, 'Z', "str", (void *)0);
    printf("[%5d][%-5d][%05d][%+d][% d][%.3d][%8.3d][%-8.3d][%+.0d][%x]\n",
           7, 7, -7, 7, 7, 7, -7, 7, 0, 0xBEEF);
    printf("[%ld][%lu][%lld][%llx][%hhd][%hhu][%hd][%hu][%zu][%jd]\n",
           big, (unsigned long)big, (long long)big, 0x123456789abcdefULL, (signed char)-1, uc, sh,
           (unsigned short)sh, sizeof(buf), (intmax_t)-1);
    printf("[%#o][%#x][%#X][%#.0x][%#5o][%-#8x][%08.3x][%#010x]\n", 8, 255, 255, 0, 8, 255, 255, 255);
    printf("[%s][%10s][%-10s][%.2s][%10.3s][%s][%.3s]\n", "abc", "abc", "abc", "abc", "abcdef", none, none);
    printf("[%c][%5c][%-5c][%p][%20p]\n", 'a', 'b', 'c', (void *)0, (void *)0);
    printf("[%*d][%-*d][%.*d][%*.*s]\n", 6, 42, 6, 42, 4, 42, 8, 2, "hello");
    printf("%" PRId64 " %" PRIu64 " %" PRIx32 " %" PRIi8 "\n", (int64_t)-9, (uint64_t)9, (uint32_t)0xabc, (int8_t)-8);
    printf("%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d\n",
           1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16);

    n = snprintf(buf, sizeof buf, "%s-%d-%x", "key", 12, 0xff);
    printf("snprintf=%d [%s]\n", n, buf);
    n = snprintf(buf, 6, "%s", "truncated text");
    printf("snprintf=%d [%s]\n", n, buf);
    n = sprintf(buf, "%08.3d|%-4s|", 5, "ab");
    printf("sprintf=%d [%s] len=%zu\n", n, buf, strlen(buf));
    printf("no arguments at all\n");
    fprintf(stdout, "fprintf %s %d\n", "to stdout", 1);
    n = printf("%s", "");
    printf("empty=%d\n", n);
    return 0;
}
