/* stdin processing: count lines, words and bytes, and print lines reversed (like wc + rev). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    static char line[4096];
    long lines = 0, words = 0, bytes = 0;
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        bytes += n;
        int in_word = 0;
        for (size_t i = 0; i < n; i++) {
            if (isspace((unsigned char)line[i])) in_word = 0;
            else if (!in_word) { in_word = 1; words++; }
        }
        if (n && line[n - 1] == '\n') { lines++; line[--n] = 0; }
        for (size_t i = 0; i < n / 2; i++) { char t = line[i]; line[i] = line[n - 1 - i]; line[n - 1 - i] = t; }
        puts(line);
    }
    printf("%ld %ld %ld\n", lines, words, bytes);
    return lines > 0 ? 0 : 1;
}
