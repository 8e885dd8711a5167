/* string.h, ctype.h and strtol & friends on ordinary text. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void tokens(void)
{
    char text[] = "  the quick,brown;;fox  jumps ";
    for (char *t = strtok(text, " ,;"); t; t = strtok(NULL, " ,;"))
        printf("<%s:%zu>", t, strlen(t));
    printf("\n");
}

static void numbers(void)
{
    const char *inputs[] = {"42", "  -17abc", "0x1F", "0777", "junk", "9223372036854775808", "-0x8000000000000000",
                            "18446744073709551615", "  +12 ", "0x"};
    for (unsigned i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *end;
        errno = 0;
        long v = strtol(inputs[i], &end, 0);
        int e1 = errno;
        errno = 0;
        unsigned long u = strtoul(inputs[i], NULL, 16);
        printf("%-22s strtol=%ld end=%td errno=%d strtoul16=%lu errno=%d atoi=%d\n", inputs[i], v,
               end - inputs[i], e1, u, errno, atoi(inputs[i]));
    }
    printf("strtol base 36: %ld, base 2: %ld\n", strtol("Zz", NULL, 36), strtol("1011", NULL, 2));
}

int main(void)
{
    char buf[64];
    const char *s = "Hello, World";

    strcpy(buf, s);
    strcat(buf, "!!");
    printf("%s %zu %zu\n", buf, strlen(buf), strnlen(buf, 5));
    printf("chr=%s rchr=%s str=%s pbrk=%s\n", strchr(s, 'o'), strrchr(s, 'o'), strstr(s, "Wor"), strpbrk(s, ",!"));
    printf("spn=%zu cspn=%zu\n", strspn("aaabbbc", "ab"), strcspn("hello world", " "));
    printf("cmp=%d %d %d ncmp=%d case=%d ncase=%d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0,
           strcmp("same", "same"), strncmp("abcdef", "abcxyz", 3), strcasecmp("HeLLo", "hello"),
           strncasecmp("ABCx", "abcy", 3));
    memset(buf, 'x', 10);
    buf[10] = 0;
    printf("memset=%s memcmp=%d memchr=%s\n", buf, memcmp("abc", "abc", 3), (char *)memchr(s, 'W', 12));
    memmove(buf + 2, buf, 5);
    strncpy(buf, "12345678", 4);
    printf("moved=%s\n", buf);
    char *dup = strdup(s);
    char *ndup = strndup(s, 5);
    printf("dup=%s ndup=%s\n", dup, ndup);
    free(dup);
    free(ndup);
    printf("strerror(2)=%s\n", strerror(2));

    for (int c = 0; c < 128; c++) {
        if (c % 32 == 0)
            printf("\n");
        printf("%c", isalpha(c) ? 'a' : isdigit(c) ? 'd' : isspace(c) ? 's' : ispunct(c) ? 'p' : iscntrl(c) ? 'c' : '?');
    }
    printf("\nupper=%c lower=%c xdigit=%d print=%d graph=%d\n", toupper('q'), tolower('Q'), isxdigit('f') != 0,
           isprint(' ') != 0, isgraph(' ') != 0);
    tokens();
    numbers();
    printf("abs=%d %ld %lld\n", abs(-5), labs(-6L), llabs(-7LL));
    return 3;
}
