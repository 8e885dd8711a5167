/*
 * fenv.h - bpfvm libc: the floating-point environment of a VM without one.
 * bpfvm's floating point (IEEE-754 intrinsics) rounds to nearest and raises no flags: the
 * rounding mode is FE_TONEAREST and cannot change, every exception flag reads clear.
 * Header-only: nothing here reaches the host.
 */
#ifndef _BPFVM_FENV_H
#define _BPFVM_FENV_H

typedef unsigned int fexcept_t;
typedef struct { unsigned int __mode; } fenv_t;

#define FE_INVALID 0x01
#define FE_DIVBYZERO 0x04
#define FE_OVERFLOW 0x08
#define FE_UNDERFLOW 0x10
#define FE_INEXACT 0x20
#define FE_ALL_EXCEPT 0x3d
#define FE_TONEAREST 0
#define FE_DOWNWARD 0x400
#define FE_UPWARD 0x800
#define FE_TOWARDZERO 0xc00
#define FE_DFL_ENV ((const fenv_t *)-1)

static inline int feclearexcept(int __e) { (void)__e; return 0; }
static inline int fetestexcept(int __e) { (void)__e; return 0; }
static inline int feraiseexcept(int __e) { return __e & FE_ALL_EXCEPT ? -1 : 0; }
static inline int fegetexceptflag(fexcept_t *__f, int __e) { (void)__e; *__f = 0; return 0; }
static inline int fesetexceptflag(const fexcept_t *__f, int __e) { (void)__e; return *__f ? -1 : 0; }
static inline int fegetround(void) { return FE_TONEAREST; }
static inline int fesetround(int __r) { return __r == FE_TONEAREST ? 0 : -1; }
static inline int fegetenv(fenv_t *__env) { __env->__mode = FE_TONEAREST; return 0; }
static inline int feholdexcept(fenv_t *__env) { __env->__mode = FE_TONEAREST; return 0; }
static inline int fesetenv(const fenv_t *__env) { (void)__env; return 0; }
static inline int feupdateenv(const fenv_t *__env) { (void)__env; return 0; }

#endif /* _BPFVM_FENV_H */
