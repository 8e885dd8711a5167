/* Struct copies, initialisations and __builtin_mem* calls too large for the BPF backend to
 * expand inline (they become calls of libc's memcpy/memmove/memset), and big structs by value. */
#include <stdio.h>
#include <string.h>

struct record { char name[1500]; int id; double weight; };
struct bytes { unsigned char b[700]; };   /* alignment 1: 700 single-byte stores */

static struct record table[4];
static volatile int runtime_length = 333;

__attribute__((noinline)) static unsigned long checksum(const void *p, size_t n)
{
    const unsigned char *s = p;
    unsigned long h = 1469598103934665603ul;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 1099511628211ul;
    return h;
}

__attribute__((noinline)) static struct record renamed(struct record r, int id)
{
    r.id = id;
    r.name[0] = 'R';
    r.weight *= 2;
    return r;
}

__attribute__((noinline)) static void reset(struct bytes *b) { *b = (struct bytes){ { 0 } }; }

int main(void)
{
    for (int i = 0; i < 4; i++) {
        struct record r = { .id = i, .weight = i + 0.5 };
        snprintf(r.name, sizeof r.name, "record-%d", i);
        table[i] = r;
    }
    struct record copy = renamed(table[2], 42);
    printf("%s %d %.17g | %s %d %.17g\n", table[2].name, table[2].id, table[2].weight, copy.name, copy.id,
           copy.weight);
    printf("%lx %lx\n", checksum(&table[2], sizeof table[2]), checksum(&copy, sizeof copy));

    struct bytes a, b;
    for (int i = 0; i < (int)sizeof a.b; i++)
        a.b[i] = (unsigned char)(i * 7);
    b = a;
    printf("%lx\n", checksum(&b, sizeof b));
    reset(&b);
    printf("%lx\n", checksum(&b, sizeof b));

    unsigned char buf[2000];
    int n = runtime_length;
    __builtin_memset(buf, 0x5a, sizeof buf);
    __builtin_memcpy(buf + 10, a.b, n);
    __builtin_memmove(buf + 5, buf + 10, n);
    __builtin_memset(buf + 1500, n, n);
    printf("%lx\n", checksum(buf, sizeof buf));
    return copy.id;
}
