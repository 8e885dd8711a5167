/* binary-trees (the Benchmarks Game): malloc/free-heavy; trees of depth 4..n, item checks. */
#include <stdlib.h>
#include "suite.h"
struct node { struct node *l, *r; };
static struct node *make(int d)
{
    struct node *t = malloc(sizeof *t);
    if (d > 0) { t->l = make(d - 1); t->r = make(d - 1); } else t->l = t->r = 0;
    return t;
}
static long check(struct node *t) { return 1 + (t->l ? check(t->l) + check(t->r) : 0); }
static void release(struct node *t)
{
    if (t->l) { release(t->l); release(t->r); }
    free(t);
}
static long binarytrees(long n)
{
    long sum = 0;
    struct node *longlived = make((int)n);
    for (int d = 4; d <= n; d += 2) {
        long iters = 1L << (n - d + 4), c = 0;
        for (long i = 0; i < iters; i++) { struct node *t = make(d); c += check(t); release(t); }
        sum = sum * 31 + c;
    }
    sum = sum * 31 + check(longlived);
    release(longlived);
    return sum;
}
SUITE_ENTRY(binarytrees)
