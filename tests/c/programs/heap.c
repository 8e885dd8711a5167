/* Heap churn: a linked list, random malloc/realloc/free, calloc zeroing; checksums printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; int value; char tag[12]; };

static unsigned long seed = 12345;
static unsigned next_rand(void) { seed = seed * 6364136223846793005UL + 1442695040888963407UL; return seed >> 33; }

int main(void)
{
    struct node *head = NULL;
    for (int i = 0; i < 200; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i * i;
        snprintf(n->tag, sizeof n->tag, "node%d", i);
        n->next = head;
        head = n;
    }
    long sum = 0;
    int count = 0;
    while (head) {
        struct node *n = head;
        head = n->next;
        sum += n->value + strlen(n->tag);
        count++;
        free(n);
    }
    printf("list: %d nodes, sum %ld\n", count, sum);

    static char *slots[64];
    static unsigned sizes[64];
    unsigned long check = 0;
    for (int round = 0; round < 3000; round++) {
        unsigned k = next_rand() % 64, size = next_rand() % 500 + 1;
        if (slots[k] && next_rand() % 3 == 0) {
            for (unsigned i = 0; i < sizes[k]; i++)
                check += (unsigned char)slots[k][i];
            free(slots[k]);
            slots[k] = NULL;
        } else {
            char *p = realloc(slots[k], size);
            if (!p) return 2;
            for (unsigned i = (slots[k] ? (sizes[k] < size ? sizes[k] : size) : 0); i < size; i++)
                p[i] = (char)(k + i);
            slots[k] = p;
            sizes[k] = size;
            if (((unsigned long)p & 15) != 0) return 3;
        }
    }
    for (int k = 0; k < 64; k++) free(slots[k]);
    int *zeros = calloc(100, sizeof(int));
    int nonzero = 0;
    for (int i = 0; i < 100; i++) nonzero += zeros[i] != 0;
    free(zeros);
    printf("churn checksum %lu, calloc nonzero %d\n", check, nonzero);
    return 0;
}
