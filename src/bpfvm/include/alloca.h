/*
 * alloca.h - bpfvm libc.
 *
 * alloca(n) with a run-time n lives on bpfvm's shadow stack (bpfvm.vla, bpfvm.libc.alloca) and
 * is freed when the calling function returns, like a variable-length array.
 */
#ifndef _BPFVM_ALLOCA_H
#define _BPFVM_ALLOCA_H

#include <stddef.h>

#define alloca(size) __builtin_alloca(size)

#endif /* _BPFVM_ALLOCA_H */
