/*
 * setjmp.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.setjmp).
 * longjmp unwinds to the live frame that called setjmp, restoring r6-r9 as setjmp left them
 * and the variable-length-array stack; a jmp_buf whose frame has returned traps
 * (bad-longjmp).  No signals are delivered, so sigsetjmp saves no mask.
 */
#ifndef _BPFVM_SETJMP_H
#define _BPFVM_SETJMP_H

#include <__bpfvm.h>

typedef long jmp_buf[8];
typedef long sigjmp_buf[8];

int setjmp(jmp_buf __env) __attribute__((__returns_twice__));
int _setjmp(jmp_buf __env) __attribute__((__returns_twice__));
int sigsetjmp(sigjmp_buf __env, int __savemask) __attribute__((__returns_twice__));
__attribute__((__noreturn__)) void longjmp(jmp_buf __env, int __value);
__attribute__((__noreturn__)) void _longjmp(jmp_buf __env, int __value);
__attribute__((__noreturn__)) void siglongjmp(sigjmp_buf __env, int __value);

#endif /* _BPFVM_SETJMP_H */
