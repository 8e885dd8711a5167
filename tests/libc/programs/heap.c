/* malloc/calloc/realloc/free churn: a linked list, a growing array, random frees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *next;
    int value;
    char tag[20];
};

int main(void)
{
    struct node *head = NULL;
    unsigned long sum = 0;
    srand(7);
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 50; i++) {
            struct node *n = malloc(sizeof *n);
            if (!n)
                return 1;
            n->value = rand() % 10000;
            snprintf(n->tag, sizeof n->tag, "r%d-i%d", round, i);
            n->next = head;
            head = n;
        }
        /* free every node whose value is odd */
        struct node **link = &head;
        while (*link) {
            struct node *n = *link;
            if (n->value & 1) {
                *link = n->next;
                free(n);
            } else {
                link = &n->next;
            }
        }
    }
    int count = 0;
    for (struct node *n = head; n; n = n->next) {
        sum += (unsigned long)n->value;
        count++;
    }
    printf("list: %d nodes, sum %lu, head %s\n", count, sum, head ? head->tag : "-");

    size_t cap = 1, len = 0;
    int *arr = calloc(cap, sizeof *arr);
    for (int i = 0; i < 1000; i++) {
        if (len == cap) {
            cap *= 2;
            arr = realloc(arr, cap * sizeof *arr);
        }
        arr[len++] = i * i;
    }
    long total = 0;
    for (size_t i = 0; i < len; i++)
        total += arr[i];
    printf("array: len %zu cap %zu total %ld last %d\n", len, cap, total, arr[len - 1]);
    free(arr);
    while (head) {
        struct node *next = head->next;
        free(head);
        head = next;
    }
    char *z = calloc(64, 1);
    int zeros = 0;
    for (int i = 0; i < 64; i++)
        zeros += z[i] == 0;
    printf("calloc zeros %d, realloc(NULL) %s, realloc(p, 0) %s\n", zeros,
           realloc(NULL, 0) ? "non-null" : "null", realloc(z, 0) ? "non-null" : "null");
    return 0;
}
