/* string.h, stdlib.h and ctype.h against glibc: copies, compares, searches, tokens, numbers,
 * qsort/bsearch with guest comparators. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int main(void)
{
    char buf[64];
    strcpy(buf, "Hello");
    strcat(buf, ", world");
    printf("%s %d %d\n", buf, (int)strlen(buf), (int)strnlen(buf, 3));
    printf("%d %d %d %d\n", strcmp("abc", "abd") < 0, strncmp("abcX", "abcY", 3), strcasecmp("HeLLo", "hello"), strncasecmp("ABx", "aby", 2));
    printf("%s|%s|%s\n", strchr(buf, 'o'), strrchr(buf, 'o'), strstr(buf, "wor"));
    printf("%d %d\n", (int)strspn("aaabbc", "ab"), (int)strcspn("hello world", " "));
    char tokens[] = "one, two,,three four";
    for (char *t = strtok(tokens, ", "); t; t = strtok(NULL, ", "))
        printf("<%s>", t);
    printf("\n");
    char *dup = strdup("duplicate");
    printf("%s %d\n", dup, memcmp(dup, "dupl", 4));
    free(dup);
    memset(buf, 'x', 5); buf[5] = 0;
    memmove(buf + 1, buf, 3);
    printf("%s\n", buf);
    char *end;
    printf("%ld %ld %lu %ld %d %ld\n", strtol("  -0x1f rest", &end, 0), strtol("777", NULL, 8), strtoul("ffff", NULL, 16), strtol("z", NULL, 36), atoi("  42abc"), atol("-9000000000"));
    printf("end='%s'\n", end);
    int nums[] = { 9, -3, 7, 0, 12, -8, 5, 5, 1 };
    qsort(nums, 9, sizeof nums[0], cmp_int);
    for (int i = 0; i < 9; i++) printf("%d ", nums[i]);
    int key = 7;
    int *hit = bsearch(&key, nums, 9, sizeof nums[0], cmp_int);
    printf("| found %d at %d\n", key, hit ? (int)(hit - nums) : -1);
    const char *words[] = { "pear", "apple", "fig", "banana" };
    qsort(words, 4, sizeof words[0], cmp_str);
    printf("%s %s %s %s\n", words[0], words[1], words[2], words[3]);
    int classes = 0;
    for (int c = 0; c < 128; c++)
        classes += !!isalpha(c) + 2 * !!isdigit(c) + 4 * !!isspace(c) + 8 * !!ispunct(c) + 16 * !!isupper(c) + 32 * !!isxdigit(c);
    printf("ctype %d %c %c %d\n", classes, toupper('q'), tolower('Q'), abs(-5) + (int)labs(-6L));
    return 0;
}
