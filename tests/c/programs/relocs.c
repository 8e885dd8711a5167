/* Every relocation kind: text->text calls, text->data globals and strings, data->text function
 * pointer tables, data->data pointers between globals, .bss, .rodata tables, local statics. */
#include <stdio.h>

static int square(int x) { return x * x; }
static int triple(int x) { return 3 * x; }
int negate(int x) { return -x; }

int (*const ops[])(int) = { square, triple, negate };     /* .data.rel.ro: data->text */
int (*hook)(int) = triple;                                  /* .data: data->text */
const char *const names[] = { "square", "triple", "negate" }; /* data->data (strings) */
const int primes[8] = { 2, 3, 5, 7, 11, 13, 17, 19 };        /* .rodata */
int counter = 40;                                            /* .data */
long zeroes[64];                                             /* .bss */
int *counter_ptr = &counter;                                 /* data->data */
const int *prime_ptr = &primes[3];                           /* data->data with addend */
struct pair { const char *name; int value; } pairs[] = { { "one", 1 }, { "two", 2 } };

static int bump(void)
{
    static int calls;                                        /* local static in .bss */
    return ++calls;
}

int main(void)
{
    for (int i = 0; i < 3; i++)
        printf("%s(%d) = %d\n", names[i], i + 4, ops[i](i + 4));
    printf("hook(7) = %d\n", hook(7));
    hook = square;
    printf("hook(7) = %d\n", hook(7));
    *counter_ptr += 2;
    printf("counter = %d, *prime_ptr = %d\n", counter, *prime_ptr);
    for (int i = 0; i < 64; i++)
        zeroes[i] += i * primes[i % 8];
    long sum = 0;
    for (int i = 0; i < 64; i++)
        sum += zeroes[i];
    printf("sum = %ld\n", sum);
    for (int i = 0; i < 2; i++)
        printf("%s -> %d\n", pairs[i].name, pairs[i].value);
    bump(); bump();
    printf("bump = %d\n", bump());
    return counter - 42;
}
