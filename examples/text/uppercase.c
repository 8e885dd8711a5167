/*
 * uppercase.c — the seed's text-processing example, as ordinary C.
 *
 * Copies standard input to standard output, upper-casing lowercase letters until the first
 * uppercase letter of the input is seen; from then on the text passes through unchanged.
 *
 *   bpfvm cc examples/text/uppercase.c -o uppercase.o
 *   echo "hello World, bye" | bpfvm run uppercase.o      # -> HELLO World, bye
 *
 * The same file builds natively (gcc uppercase.c) and behaves identically; the tests check that.
 */
#include <ctype.h>
#include <stdio.h>

int main(void)
{
    int c;
    int seen_upper = 0;

    while ((c = getchar()) != EOF) {
        if (isupper(c))
            seen_upper = 1;
        else if (!seen_upper && islower(c))
            c = toupper(c);
        putchar(c);
    }
    return 0;
}
