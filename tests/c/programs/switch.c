/* switch statements: dense (lookup tables in .rodata), sparse, with fall-through, in loops. */
#include <stdio.h>

static int dense(int x)
{
    switch (x) {
    case 0: return 11; case 1: return 22; case 2: return 35; case 3: return 47;
    case 4: return 51; case 5: return 68; case 6: return 70; case 7: return 89;
    default: return -1;
    }
}

static int code(int op, int y)
{
    switch (op) {
    case 0: y += 3; break;
    case 1: y *= 7; break;
    case 2: y -= 9; /* fall through */
    case 3: y ^= 5; break;
    case 4: y <<= 2; break;
    case 5: y |= 64; break;
    case 6: y /= 3; break;
    case 7: y %= 11; break;
    case 1000: y = -y; break;
    case 123456: y = 0; break;
    default: y = y * 2 + 1;
    }
    return y;
}

static const char *name(int c)
{
    switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return "vowel";
    case ' ': return "space";
    default: return c >= '0' && c <= '9' ? "digit" : "other";
    }
}

int main(void)
{
    int acc = 0;
    for (int i = -2; i < 10; i++)
        acc = acc * 3 + dense(i);
    printf("dense: %d\n", acc);
    int y = 17;
    for (int i = 0; i < 12; i++)
        y = code(i == 10 ? 1000 : i == 11 ? 123456 : i, y + i);
    printf("code: %d\n", y);
    const char *text = "a1 b e9";
    for (const char *p = text; *p; p++)
        printf("%c:%s ", *p, name(*p));
    printf("\n");
    return 0;
}
