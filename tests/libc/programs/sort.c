/* qsort and bsearch calling back into guest comparators; rand() as glibc's sequence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct person {
    char name[12];
    int age;
};

static int by_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int by_age_then_name(const void *a, const void *b)
{
    const struct person *p = a, *q = b;
    if (p->age != q->age)
        return p->age - q->age;
    return strcmp(p->name, q->name);
}

int main(void)
{
    int v[40];
    srand(42);
    for (int i = 0; i < 40; i++)
        v[i] = rand() % 1000 - 500;
    qsort(v, 40, sizeof v[0], by_int);
    for (int i = 0; i < 40; i++)
        printf("%d%c", v[i], i % 10 == 9 ? '\n' : ' ');

    int key = v[17];
    int *found = bsearch(&key, v, 40, sizeof v[0], by_int);
    int missing = 501;
    printf("found=%d at %td, missing=%p\n", *found, found - v, bsearch(&missing, v, 40, sizeof v[0], by_int));

    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "apple2", "kiwi"};
    qsort(words, 8, sizeof words[0], by_name);
    for (int i = 0; i < 8; i++)
        printf("%s ", words[i]);
    printf("\n");

    struct person people[] = {{"zoe", 30}, {"adam", 25}, {"eve", 30}, {"bob", 25}, {"carl", 41}};
    qsort(people, 5, sizeof people[0], by_age_then_name);
    for (int i = 0; i < 5; i++)
        printf("%s:%d ", people[i].name, people[i].age);
    int r1 = rand(), r2 = rand(), r3 = rand(); /* argument evaluation order is unspecified */
    printf("\nrand=%d %d %d\n", r1, r2, r3);
    return 0;
}
