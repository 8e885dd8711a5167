/* Every floating-point intrinsic the JIT lowers natively, one entry point per operation.
 *
 * Each entry takes a buffer: buf[0] = n, then n input bit patterns, then n*n results.  Result
 * (i, j) is the operation applied to inputs i, j and (i + j) % n (as many as it takes), as bit
 * patterns: doubles as their 64 bits, floats as their 32 bits, integers as 64 bits.
 */
#include <math.h>
#include <stdint.h>

typedef uint64_t u64;

static double D(u64 x) { union { u64 u; double d; } v = { .u = x }; return v.d; }
static u64 B(double d) { union { u64 u; double d; } v = { .d = d }; return v.u; }
static float F(u64 x) { union { uint32_t u; float f; } v = { .u = (uint32_t)x }; return v.f; }
static u64 BF(float f) { union { uint32_t u; float f; } v = { .f = f }; return v.u; }

#define OP(name, expr)                                                                    \
    void name(u64 *buf, long len)                                                         \
    {                                                                                     \
        long n = (long)buf[0];                                                            \
        u64 *in = buf + 1, *out = buf + 1 + n;                                            \
        for (long i = 0; i < n; i++)                                                      \
            for (long j = 0; j < n; j++) {                                                \
                u64 a = in[i], b = in[j], c = in[(i + j) % n];                            \
                (void)a; (void)b; (void)c;                                                \
                out[i * n + j] = (expr);                                                  \
            }                                                                             \
    }

/* double and float versions of an operation on FP values */
#define FP1(name, fn) OP(d_##name, B(fn(D(a)))) OP(f_##name, BF(fn##f(F(a))))
#define FP2(name, fn) OP(d_##name, B(fn(D(a), D(b)))) OP(f_##name, BF(fn##f(F(a), F(b))))
#define INFIX(name, op) OP(d_##name, B(D(a) op D(b))) OP(f_##name, BF(F(a) op F(b)))
#define CMP(name, expr_d, expr_f) OP(d_##name, (u64)(expr_d)) OP(f_##name, (u64)(expr_f))

INFIX(add, +)
INFIX(sub, -)
INFIX(mul, *)
INFIX(div, /)
OP(d_muladd, B(D(a) * D(b) + D(c)))
OP(f_muladd, BF(F(a) * F(b) + F(c)))
CMP(lt, D(a) < D(b), F(a) < F(b))
CMP(le, D(a) <= D(b), F(a) <= F(b))
CMP(eq, D(a) == D(b), F(a) == F(b))
CMP(ne, D(a) != D(b), F(a) != F(b))
CMP(ge, D(a) >= D(b), F(a) >= F(b))
CMP(gt, D(a) > D(b), F(a) > F(b))
CMP(nlt, !(D(a) < D(b)), !(F(a) < F(b)))
CMP(uno, isunordered(D(a), D(b)), isunordered(F(a), F(b)))
CMP(to_i64, (long)D(a), (long)F(a))
CMP(to_i32, (int)D(a), (int)F(a))
CMP(to_i16, (short)D(a), (short)F(a))
CMP(to_i8, (signed char)D(a), (signed char)F(a))
CMP(to_u64, (unsigned long)D(a), (unsigned long)F(a))
CMP(to_u32, (unsigned)D(a), (unsigned)F(a))
CMP(to_u8, (unsigned char)D(a), (unsigned char)F(a))
OP(d_from_i64, B((double)(long)a))
OP(d_from_u64, B((double)a))
OP(d_from_i32, B((double)(int)a))
OP(d_from_u32, B((double)(unsigned)a))
OP(f_from_i64, BF((float)(long)a))
OP(f_from_u64, BF((float)a))
OP(f_from_i32, BF((float)(int)a))
OP(f_from_u32, BF((float)(unsigned)a))
OP(d_fpext, B((double)F(a)))
OP(f_fptrunc, BF((float)D(a)))
FP1(sqrt, sqrt)
FP1(floor, floor)
FP1(ceil, ceil)
FP1(trunc, trunc)
FP1(round, round)
FP1(rint, rint)
FP1(nearbyint, nearbyint)
FP1(fabs, fabs)
FP1(sin, sin)
FP1(cos, cos)
FP1(tan, tan)
FP1(asin, asin)
FP1(acos, acos)
FP1(atan, atan)
FP1(sinh, sinh)
FP1(cosh, cosh)
FP1(tanh, tanh)
FP1(asinh, asinh)
FP1(acosh, acosh)
FP1(atanh, atanh)
FP1(exp, exp)
FP1(exp2, exp2)
FP1(expm1, expm1)
FP1(log, log)
FP1(log2, log2)
FP1(log10, log10)
FP1(log1p, log1p)
FP1(cbrt, cbrt)
FP1(erf, erf)
FP1(erfc, erfc)
FP2(pow, pow)
FP2(atan2, atan2)
FP2(fmod, fmod)
FP2(fmin, fmin)
FP2(fmax, fmax)
FP2(fdim, fdim)
FP2(copysign, copysign)
OP(d_fminimum, B(__builtin_elementwise_minimum(D(a), D(b))))
OP(d_fmaximum, B(__builtin_elementwise_maximum(D(a), D(b))))
/* the same operations reached through LLVM intrinsics (__bpfvm_<op>_f64/_f32) */
#define BUILTIN1(name) OP(d_b##name, B(__builtin_##name(D(a)))) OP(f_b##name, BF(__builtin_##name##f(F(a))))
#define BUILTIN2(name) OP(d_b##name, B(__builtin_##name(D(a), D(b)))) OP(f_b##name, BF(__builtin_##name##f(F(a), F(b))))
BUILTIN1(sqrt)
BUILTIN1(floor)
BUILTIN1(ceil)
BUILTIN1(trunc)
BUILTIN1(round)
BUILTIN1(rint)
BUILTIN1(nearbyint)
BUILTIN1(roundeven)
BUILTIN1(sin)
BUILTIN1(cos)
BUILTIN1(exp)
BUILTIN1(log)
BUILTIN1(log10)
BUILTIN2(fmod)
BUILTIN2(fmin)
BUILTIN2(fmax)
BUILTIN2(pow)
OP(f_fminimum, BF(__builtin_elementwise_minimum(F(a), F(b))))
OP(f_fmaximum, BF(__builtin_elementwise_maximum(F(a), F(b))))
BUILTIN1(tan)
BUILTIN1(asin)
BUILTIN1(acos)
BUILTIN1(atan)
BUILTIN1(sinh)
BUILTIN1(cosh)
BUILTIN1(tanh)
BUILTIN1(exp2)
BUILTIN1(log2)
BUILTIN2(atan2)
OP(d_minimumnum, B(__builtin_fminimum_num(D(a), D(b))))
OP(d_maximumnum, B(__builtin_fmaximum_num(D(a), D(b))))
OP(f_minimumnum, BF(__builtin_fminimum_numf(F(a), F(b))))
OP(f_maximumnum, BF(__builtin_fmaximum_numf(F(a), F(b))))
FP1(roundeven, roundeven)
OP(d_fma, B(fma(D(a), D(b), D(c))))
OP(f_fma, BF(fmaf(F(a), F(b), F(c))))
OP(d_bfma, B(__builtin_fma(D(a), D(b), D(c))))
OP(f_bfma, BF(__builtin_fmaf(F(a), F(b), F(c))))
FP2(remainder, remainder)
BUILTIN1(exp10)
