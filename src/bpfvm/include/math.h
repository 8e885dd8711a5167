/*
 * math.h - bpfvm libc (intrinsics bound by name; see bpfvm.libc.libm).
 *
 * The BPF backend has no floating point; bpfvm's toolchain rewrites float and double
 * arithmetic into calls of IEEE-754 intrinsics (bpfvm.legalize, bpfvm.libc.softfloat), and
 * these functions take and return doubles and floats as ordinary C.  A domain error gives NaN
 * and an overflow or pole an infinity, as glibc; errno is not set.  long double is double.
 */
#ifndef _BPFVM_MATH_H
#define _BPFVM_MATH_H

int abs(int __x);
long labs(long __x);
long long llabs(long long __x);

typedef double double_t;
typedef float float_t;

#define HUGE_VAL (__builtin_huge_val())
#define HUGE_VALF (__builtin_huge_valf())
#define HUGE_VALL (__builtin_huge_vall())
#define INFINITY (__builtin_inff())
#define NAN (__builtin_nanf(""))
#define FP_NAN 0
#define FP_INFINITE 1
#define FP_ZERO 2
#define FP_SUBNORMAL 3
#define FP_NORMAL 4
#define FP_ILOGB0 (-2147483647 - 1)
#define FP_ILOGBNAN (-2147483647 - 1)
#define MATH_ERRNO 1
#define MATH_ERREXCEPT 2
#define math_errhandling MATH_ERREXCEPT

#define M_E 2.7182818284590452354
#define M_LOG2E 1.4426950408889634074
#define M_LOG10E 0.43429448190325182765
#define M_LN2 0.69314718055994530942
#define M_LN10 2.30258509299404568402
#define M_PI 3.14159265358979323846
#define M_PI_2 1.57079632679489661923
#define M_PI_4 0.78539816339744830962
#define M_1_PI 0.31830988618379067154
#define M_2_PI 0.63661977236758134308
#define M_2_SQRTPI 1.12837916709551257390
#define M_SQRT2 1.41421356237309504880
#define M_SQRT1_2 0.70710678118654752440

/* Classification: compiled inline (integer operations on the bit pattern). */
#define fpclassify(x) __builtin_fpclassify(FP_NAN, FP_INFINITE, FP_NORMAL, FP_SUBNORMAL, FP_ZERO, x)
#define isnan(x) __builtin_isnan(x)
#define isinf(x) __builtin_isinf(x)
#define isfinite(x) __builtin_isfinite(x)
#define isnormal(x) __builtin_isnormal(x)
#define signbit(x) __builtin_signbit(x)
#define isgreater(x, y) __builtin_isgreater(x, y)
#define isgreaterequal(x, y) __builtin_isgreaterequal(x, y)
#define isless(x, y) __builtin_isless(x, y)
#define islessequal(x, y) __builtin_islessequal(x, y)
#define islessgreater(x, y) __builtin_islessgreater(x, y)
#define isunordered(x, y) __builtin_isunordered(x, y)

#define __BPFVM_MATH1(name) double name(double __x); float name##f(float __x); \
    long double name##l(long double __x);
#define __BPFVM_MATH2(name) double name(double __x, double __y); float name##f(float __x, float __y); \
    long double name##l(long double __x, long double __y);

__BPFVM_MATH1(sqrt) __BPFVM_MATH1(cbrt) __BPFVM_MATH1(fabs)
__BPFVM_MATH1(exp) __BPFVM_MATH1(exp2) __BPFVM_MATH1(expm1)
__BPFVM_MATH1(log) __BPFVM_MATH1(log2) __BPFVM_MATH1(log10) __BPFVM_MATH1(log1p)
__BPFVM_MATH1(sin) __BPFVM_MATH1(cos) __BPFVM_MATH1(tan)
__BPFVM_MATH1(asin) __BPFVM_MATH1(acos) __BPFVM_MATH1(atan)
__BPFVM_MATH1(sinh) __BPFVM_MATH1(cosh) __BPFVM_MATH1(tanh)
__BPFVM_MATH1(asinh) __BPFVM_MATH1(acosh) __BPFVM_MATH1(atanh)
__BPFVM_MATH1(erf) __BPFVM_MATH1(erfc) __BPFVM_MATH1(tgamma) __BPFVM_MATH1(lgamma)
__BPFVM_MATH1(floor) __BPFVM_MATH1(ceil) __BPFVM_MATH1(trunc) __BPFVM_MATH1(round)
__BPFVM_MATH1(rint) __BPFVM_MATH1(nearbyint) __BPFVM_MATH1(roundeven)
__BPFVM_MATH2(pow) __BPFVM_MATH2(atan2) __BPFVM_MATH2(hypot) __BPFVM_MATH2(fmod)
__BPFVM_MATH2(remainder) __BPFVM_MATH2(copysign) __BPFVM_MATH2(fmin) __BPFVM_MATH2(fmax)
__BPFVM_MATH2(fdim)

double fma(double __x, double __y, double __z);
float fmaf(float __x, float __y, float __z);
double ldexp(double __x, int __n);
float ldexpf(float __x, int __n);
double scalbn(double __x, int __n);
float scalbnf(float __x, int __n);
double frexp(double __x, int *__exp);
float frexpf(float __x, int *__exp);
double modf(double __x, double *__whole);
float modff(float __x, float *__whole);
long lround(double __x);
long lroundf(float __x);
long long llround(double __x);
long long llroundf(float __x);
long lrint(double __x);
long lrintf(float __x);
long long llrint(double __x);
long long llrintf(float __x);

#undef __BPFVM_MATH1
#undef __BPFVM_MATH2

#endif /* _BPFVM_MATH_H */
