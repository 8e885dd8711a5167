/* Stack frames far over BPF's 512 bytes (compiled with a larger stack_size): recursion with
 * big local arrays, and a variadic call from a big frame. */
#include <stdio.h>
#include <string.h>

/* bpfvm-stack-size: 32768 */

__attribute__((noinline)) unsigned long deep(int n, unsigned long seed)
{
    unsigned char buf[3000];
    for (int i = 0; i < (int)sizeof buf; i++)
        buf[i] = (unsigned char)(seed + (unsigned long)i * 2654435761u + (unsigned long)n);
    unsigned long here = seed;
    if (n > 0)
        here += deep(n - 1, seed * 6364136223846793005ul + 1442695040888963407ul);
    for (int i = 0; i < (int)sizeof buf; i += 7)
        here = here * 31 + buf[i];
    return here;
}

struct grid {
    int cells[40][40];
};

__attribute__((noinline)) int life(int steps)
{
    struct grid a, b;
    memset(&a, 0, sizeof a);
    a.cells[10][11] = a.cells[11][12] = a.cells[12][10] = a.cells[12][11] = a.cells[12][12] = 1;
    for (int s = 0; s < steps; s++) {
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 40; x++) {
                int n = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        if ((dy || dx) && a.cells[(y + dy + 40) % 40][(x + dx + 40) % 40])
                            n++;
                b.cells[y][x] = n == 3 || (n == 2 && a.cells[y][x]);
            }
        memcpy(&a, &b, sizeof a);
    }
    int alive = 0;
    for (int y = 0; y < 40; y++)
        for (int x = 0; x < 40; x++)
            alive += a.cells[y][x] * (y * 40 + x);
    return alive;
}

int main(void)
{
    printf("%lu\n", deep(20, 12345));
    printf("%d %d\n", life(1), life(30));
    return 0;
}
