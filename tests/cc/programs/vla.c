/* Variable-length arrays (in loops, two-dimensional, in recursion) and alloca() of a run-time
 * size: bpfvm puts them on a shadow stack, freed when the function returns. */
#include <stdio.h>
#include <string.h>
#include <alloca.h>
__attribute__((noinline)) static int g(const char *p, int n) { int s = 0; for (int i = 0; i < n; i++) s += p[i]; return s; }
__attribute__((noinline)) static long f(int n) {
    int a[n];
    for (int i = 0; i < n; i++) a[i] = i * i;
    long s = 0;
    for (int k = 1; k < n; k++) {
        char b[k];
        memset(b, k, (size_t)k);
        s += g(b, k);
    }
    return a[n / 2] + s;
}
__attribute__((noinline)) static int rec(int depth, int n) {
    double m[n][n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i][j] = i + j * 0.5 + depth;
    double t = 0; for (int i = 0; i < n; i++) t += m[i][n - 1 - i];
    return (int)t + (depth ? rec(depth - 1, n + 1) : 0);
}
int main(void) {
    for (int r = 0; r < 3000; r++) { volatile long x = f(20); (void)x; }
    printf("%ld %d\n", f(50), rec(20, 3));
    char *p = alloca(100 + (int)f(3) % 7); strcpy(p, "alloca"); puts(p);
    return 0;
}
