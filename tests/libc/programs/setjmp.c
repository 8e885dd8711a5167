/* setjmp/longjmp as C specifies them: nested buffers, jumps across several frames with
 * callee-saved registers live, longjmp(env, 0) returning 1, VLAs freed by the jump. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

static jmp_buf outer, inner;
static volatile int depth_reached;

__attribute__((noinline)) static long burn(long a, long b, long c, long d, int n) {
    /* Keeps a..d live in r6-r9 across the calls below. */
    if (n == 0) {
        depth_reached = 1;
        longjmp(inner, (int)(a + b + c + d));
    }
    long r = burn(a * 3 + 1, b ^ 5, c + n, d - 1, n - 1);
    return r + a + b + c + d;
}

__attribute__((noinline)) static int vla_then_jump(int n) {
    char buf[n];
    memset(buf, 'x', (size_t)n);
    if (n > 64) longjmp(outer, 0);        /* 0 comes back as 1 */
    return buf[n - 1] + vla_then_jump(n * 2);
}

__attribute__((noinline)) static int protected_call(int (*fn)(int), int arg, int *status) {
    jmp_buf saved;
    memcpy(saved, outer, sizeof saved);
    volatile int result = -1;
    if ((*status = setjmp(outer)) == 0) result = fn(arg);
    memcpy(outer, saved, sizeof saved);
    return result;
}

static int thrower(int x) {
    if (x > 2) longjmp(outer, x * 10);
    return x;
}

int main(void) {
    long keep1 = 11, keep2 = 22;
    volatile int rounds = 0;
    int v = setjmp(inner);
    rounds++;
    if (v == 0) {
        printf("first return, rounds=%d\n", rounds);
        burn(1, 2, 3, 4, 6);
        printf("not reached\n");
    }
    printf("back with %d after %d rounds, depth %d, keep %ld %ld\n", v, rounds, depth_reached, keep1, keep2);

    int status = 0;
    int r = protected_call(vla_then_jump, 8, &status);
    printf("vla: result %d status %d\n", r, status);
    for (int x = 0; x < 5; x++) {
        r = protected_call(thrower, x, &status);
        printf("thrower(%d): result %d status %d\n", x, r, status);
    }
    /* Nested: an inner handler inside an outer one. */
    if ((status = setjmp(outer)) == 0) {
        int s2 = 0;
        r = protected_call(thrower, 7, &s2);
        printf("nested inner: result %d status %d\n", r, s2);
        longjmp(outer, 5);
    }
    printf("nested outer: status %d\n", status);
    return 0;
}
