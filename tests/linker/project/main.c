/* A program of four translation units: the linker must resolve functions, extern variables,
 * function pointers and strings across them, keep static names apart, and let a strong
 * definition override a weak one. */
#include <stdio.h>
#include <string.h>
#include "project.h"

static __attribute__((noinline)) int twice(int x) { return 2 * x + 1; }  /* also static in util.c */

int main(int argc, char **argv) {
    for (int i = 0; i < TABLE_LEN; i++)
        record(table[i]);
    printf("total=%ld records=%d\n", total, records);
    printf("twice here=%d there=%d\n", twice(argc + 9), util_twice(10));
    printf("op(7)=%d via %s\n", current_op(7), op_name);
    printf("greeting=%s/%zu tuned=%d\n", greeting, strlen(greeting), tuning());
    const struct shape *s = find_shape("square");
    printf("shape %s sides=%d area(3)=%d\n", s->name, s->sides, s->area(3));
    return (int)(total % 200) + argc;
}
