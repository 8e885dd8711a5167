/*
 * strings.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.string).  C locale.
 */
#ifndef _BPFVM_STRINGS_H
#define _BPFVM_STRINGS_H

#include <__bpfvm.h>

int strcasecmp(const char *__a, const char *__b);
int strncasecmp(const char *__a, const char *__b, size_t __n);
void bzero(void *__s, size_t __n);
void bcopy(const void *__src, void *__dst, size_t __n);
char *index(const char *__s, int __c);
char *rindex(const char *__s, int __c);

#endif /* _BPFVM_STRINGS_H */
