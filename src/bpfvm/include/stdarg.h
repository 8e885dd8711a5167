/*
 * stdarg.h - bpfvm libc.
 *
 * The BPF backend cannot compile variadic function *definitions* ("variadic functions are not
 * supported"), so va_start and va_arg fail with a message that says so.  va_list exists so
 * that prototypes mentioning it still compile.  Calling printf and friends works: see
 * <stdio.h>.
 */
#ifndef _BPFVM_STDARG_H
#define _BPFVM_STDARG_H

typedef __builtin_va_list va_list;
typedef __builtin_va_list __gnuc_va_list;

#define __BPFVM_NO_VARARGS ((void)sizeof(struct { \
    _Static_assert(0, "bpfvm: BPF cannot define variadic functions (no va_start/va_arg)"); \
    int __bpfvm; }))
#define va_start(ap, ...) __BPFVM_NO_VARARGS
#define va_arg(ap, type) (__BPFVM_NO_VARARGS, (type)0)
#define va_copy(dst, src) __BPFVM_NO_VARARGS
#define va_end(ap) __BPFVM_NO_VARARGS

#endif /* _BPFVM_STDARG_H */
