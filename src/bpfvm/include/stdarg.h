/*
 * stdarg.h - bpfvm libc.
 *
 * Variadic functions work through bpfvm's IR stage (bpfvm.varargs): a variadic function
 * receives, after its fixed parameters, the address of a block of 8-byte slots holding the
 * variadic arguments (a struct of up to 16 bytes in as many slots as it needs, a larger one as
 * its address), and a va_list is a pointer to the next slot.  The vprintf family
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
/* va_arg: the next argument, in its slots (a struct over 16 bytes: in the one slot holding its
 * address, as bpfvm.varargs passes it).  Written out rather than __builtin_va_arg, which clang
 * lowers for BPF as if every struct travelled by address. */
static __inline__ __attribute__((__always_inline__)) void *
__bpfvm_va_next(__builtin_va_list *__ap, unsigned long __size)
{
    char *__slot = (char *)*__ap;
    *__ap = __slot + (__size > 16 ? 8 : (__size + 7) & ~7ul);
    return __size > 16 ? *(void **)__slot : (void *)__slot;
}
#define va_arg(ap, type) (*(type *)__bpfvm_va_next(&(ap), sizeof(type)))
#define va_end(ap) __builtin_va_end(ap)
#define va_copy(dst, src) __builtin_va_copy(dst, src)
#define __va_copy(dst, src) __builtin_va_copy(dst, src)

#endif /* _BPFVM_STDARG_H */
