/* stddef.h - bpfvm libc. */
#ifndef _BPFVM_STDDEF_H
#define _BPFVM_STDDEF_H

#include <__bpfvm.h>

typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef struct {
    long long __ll __attribute__((__aligned__(__alignof__(long long))));
} max_align_t;

#define offsetof(type, member) __builtin_offsetof(type, member)

#endif /* _BPFVM_STDDEF_H */
