/*
 * stdlib.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.stdlib).
 *
 * malloc & co. use the VM's heap (16-byte aligned; misuse such as a double free traps).
 * long is 64 bits.  rand() is glibc's generator.  No floating point (atof, strtod): the BPF
 * backend has none; no div/ldiv (structs are not returned by value).
 */
#ifndef _BPFVM_STDLIB_H
#define _BPFVM_STDLIB_H

#include <__bpfvm.h>
#include <alloca.h> /* glibc's stdlib.h declares alloca() too (_DEFAULT_SOURCE) */

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX 2147483647
#define MB_CUR_MAX 1

void *malloc(size_t __size);
void *calloc(size_t __n, size_t __size);
void *realloc(void *__ptr, size_t __size);
void *reallocarray(void *__ptr, size_t __n, size_t __size);
void free(void *__ptr);

int abs(int __x);
long labs(long __x);
long long llabs(long long __x);

int atoi(const char *__s);
long atol(const char *__s);
long long atoll(const char *__s);
long strtol(const char *__s, char **__end, int __base);
unsigned long strtoul(const char *__s, char **__end, int __base);
long long strtoll(const char *__s, char **__end, int __base);
unsigned long long strtoull(const char *__s, char **__end, int __base);
double strtod(const char *__s, char **__end);
float strtof(const char *__s, char **__end);
long double strtold(const char *__s, char **__end);
double atof(const char *__s);

void qsort(void *__base, size_t __n, size_t __size, int (*__cmp)(const void *, const void *));
void *bsearch(const void *__key, const void *__base, size_t __n, size_t __size,
              int (*__cmp)(const void *, const void *));

int rand(void);
void srand(unsigned int __seed);
long random(void);
void srandom(unsigned int __seed);

char *getenv(const char *__name);
/* Never runs a command: system(NULL) is 0 (no shell), otherwise -1 with errno ENOSYS. */
int system(const char *__command);
int atexit(void (*__fn)(void));
void exit(int __status) __BPFVM_NORETURN;
void _Exit(int __status) __BPFVM_NORETURN;
void abort(void) __BPFVM_NORETURN;

#endif /* _BPFVM_STDLIB_H */
