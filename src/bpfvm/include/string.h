/*
 * string.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.string).  C locale.
 */
#ifndef _BPFVM_STRING_H
#define _BPFVM_STRING_H

#include <__bpfvm.h>

void *memcpy(void *__dst, const void *__src, size_t __n);
void *memmove(void *__dst, const void *__src, size_t __n);
void *memset(void *__s, int __c, size_t __n);
int memcmp(const void *__a, const void *__b, size_t __n);
void *memchr(const void *__s, int __c, size_t __n);
void *memrchr(const void *__s, int __c, size_t __n);

size_t strlen(const char *__s);
size_t strnlen(const char *__s, size_t __n);
char *strcpy(char *__dst, const char *__src);
char *stpcpy(char *__dst, const char *__src);
char *strncpy(char *__dst, const char *__src, size_t __n);
char *strcat(char *__dst, const char *__src);
char *strncat(char *__dst, const char *__src, size_t __n);
char *strdup(const char *__s);
char *strndup(const char *__s, size_t __n);

int strcmp(const char *__a, const char *__b);
int strncmp(const char *__a, const char *__b, size_t __n);
int strcoll(const char *__a, const char *__b);

char *strchr(const char *__s, int __c);
char *strrchr(const char *__s, int __c);
char *strstr(const char *__haystack, const char *__needle);
size_t strspn(const char *__s, const char *__accept);
size_t strcspn(const char *__s, const char *__reject);
char *strpbrk(const char *__s, const char *__accept);
char *strtok(char *__s, const char *__delim);

char *strerror(int __errnum);

#include <strings.h>

#endif /* _BPFVM_STRING_H */
