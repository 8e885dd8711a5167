/*
 * stdarg.h - bpfvm libc.
 *
 * Variadic functions work through bpfvm's IR stage (bpfvm.varargs): a variadic function
 * receives, after its fixed parameters, the address of a block of 8-byte slots holding the
 * variadic arguments, and a va_list is a pointer to the next slot.  The vprintf family
 * (<stdio.h>) reads such a va_list.  Kernel programs (bpfvm cc --kernel) have no IR stage:
 * there the backend rejects variadic definitions.
 */
#ifndef _BPFVM_STDARG_H
#define _BPFVM_STDARG_H

typedef __builtin_va_list va_list;
typedef __builtin_va_list __gnuc_va_list;

#if defined(__STDC_VERSION__) && __STDC_VERSION__ > 201710L && __has_builtin(__builtin_c23_va_start)
#define va_start(...) __builtin_c23_va_start(__VA_ARGS__)
#else
#define va_start(ap, param) __builtin_va_start(ap, param)
#endif
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(dst, src) __builtin_va_copy(dst, src)
#define __va_copy(dst, src) __builtin_va_copy(dst, src)

#endif /* _BPFVM_STDARG_H */
