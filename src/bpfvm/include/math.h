/*
 * math.h - bpfvm libc.
 *
 * The BPF backend has no floating point: arithmetic on float/double fails to compile (it would
 * need soft-float library calls), so no double functions are declared here.  What remains is
 * integer: abs, labs, llabs (as in <stdlib.h>).
 */
#ifndef _BPFVM_MATH_H
#define _BPFVM_MATH_H

int abs(int __x);
long labs(long __x);
long long llabs(long long __x);

#endif /* _BPFVM_MATH_H */
