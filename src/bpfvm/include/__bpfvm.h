/*
 * __bpfvm.h - internals shared by bpfvm's libc headers (not for direct inclusion).
 *
 * Types that several headers define, and the argument packing behind the printf family.
 *
 * Why packing: the BPF backend passes at most 5 arguments in registers.  (bpfvm's IR stage,
 * bpfvm.varargs, also packs calls that bypass the macros.)  So <stdio.h> defines printf(fmt, ...) as a
 * macro that casts each argument to unsigned long long, stores them in an array on the
 * caller's stack and calls __bpfvm_printf(fmt, array, count).  The formatter then reads each
 * argument at the width its conversion names (%d: the low 32 bits, signed).
 *
 * Limits: at most 16 arguments after the format (more fail to compile with a name that says
 * so); integer, character, pointer, float and double arguments; a struct argument does not
 * compile.
 */
#ifndef __BPFVM_H
#define __BPFVM_H

#ifndef __BPFVM_SIZE_T
#define __BPFVM_SIZE_T
typedef __SIZE_TYPE__ size_t;
#endif
#ifndef __BPFVM_SSIZE_T
#define __BPFVM_SSIZE_T
typedef __PTRDIFF_TYPE__ ssize_t;
#endif
#ifndef __BPFVM_WCHAR_T
#define __BPFVM_WCHAR_T
#ifndef __cplusplus
typedef __WCHAR_TYPE__ wchar_t;
#endif
#endif
#ifndef NULL
#define NULL ((void *)0)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define __BPFVM_NORETURN __attribute__((__noreturn__))
#define __BPFVM_PRINTF(f, a) __attribute__((__format__(__printf__, f, a)))
#else
#define __BPFVM_NORETURN
#define __BPFVM_PRINTF(f, a)
#endif

/*
 * One variadic argument as the u64 the formatter reads: integers and pointers converted, a
 * float or double as the bit pattern of the double it promotes to (so %f reads it back).
 * The inner _Generic gives a floating operand for every type, so each branch type-checks.
 */
#define __BPFVM_U64(x) (__extension__ _Generic((x), \
    float: __BPFVM_FBITS(x), double: __BPFVM_FBITS(x), long double: __BPFVM_FBITS(x), \
    default: (unsigned long long)(x)))
#define __BPFVM_FBITS(x) __builtin_bit_cast(unsigned long long, \
    (double)(__extension__ _Generic((x), float: (x), double: (x), long double: (x), default: 0.0)))
#define __BPFVM_CAT(a, b) __BPFVM_CAT_(a, b)
#define __BPFVM_CAT_(a, b) a##b
/* Type-check a printf-style call (format warnings) without evaluating or compiling it. */
#define __BPFVM_CHECK(call) ((void)sizeof(call))

/*
 * __BPFVM_COUNT(...): the number of its arguments, 1 to 17 (a format and 16 more); from 18
 * on it gives __BPFVM_PRINTF_TAKES_AT_MOST_16_ARGUMENTS, which then fails to compile.
 */
#define __BPFVM_MANY __BPFVM_PRINTF_TAKES_AT_MOST_16_ARGUMENTS
#define __BPFVM_COUNT(...) __BPFVM_COUNT_(__VA_ARGS__, \
    __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, \
    __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, __BPFVM_MANY, 17, \
    16, 15, 14, 13, 12, 11, 10, 9, \
    8, 7, 6, 5, 4, 3, 2, 1, \
    0)
#define __BPFVM_COUNT_( \
    _1, _2, _3, _4, _5, _6, _7, _8, \
    _9, _10, _11, _12, _13, _14, _15, _16, \
    _17, _18, _19, _20, _21, _22, _23, _24, \
    _25, _26, _27, _28, _29, _30, _31, _32, \
    _n, ...) _n

/*
 * __BPFVM_CALLk(fn, lead1..leadk, fmt, args...) calls fn(lead..., fmt, __bpfvm_args, count) with
 * the arguments in an array __bpfvm_args declared inside a statement expression, so that its
 * stack slot is free again after the call (a compound literal would live to the end of the
 * enclosing block, and a function with many printf calls would overflow BPF's 512-byte frame).
 */
#define __BPFVM_CALL0(fn, ...) __extension__({ \
    __BPFVM_CAT(__BPFVM_ARGS_, __BPFVM_COUNT(__VA_ARGS__))(__VA_ARGS__); \
    fn(__BPFVM_CAT(__BPFVM_PACK_, __BPFVM_COUNT(__VA_ARGS__))(__VA_ARGS__)); })
#define __BPFVM_CALL1(fn, x, ...) __extension__({ \
    __BPFVM_CAT(__BPFVM_ARGS_, __BPFVM_COUNT(__VA_ARGS__))(__VA_ARGS__); \
    fn(x, __BPFVM_CAT(__BPFVM_PACK_, __BPFVM_COUNT(__VA_ARGS__))(__VA_ARGS__)); })
#define __BPFVM_CALL2(fn, x, y, ...) __extension__({ \
    __BPFVM_CAT(__BPFVM_ARGS_, __BPFVM_COUNT(__VA_ARGS__))(__VA_ARGS__); \
    fn(x, y, __BPFVM_CAT(__BPFVM_PACK_, __BPFVM_COUNT(__VA_ARGS__))(__VA_ARGS__)); })

/* __BPFVM_ARGS_n(fmt, a1..a(n-1)) declares the array; __BPFVM_PACK_n gives fmt, array, count. */
#define __BPFVM_ARGS_1(f) (void)0
#define __BPFVM_PACK_1(f) f, (const unsigned long long *)0, 0
#define __BPFVM_ARGS_2(f, a1) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1)}
#define __BPFVM_PACK_2(f, a1) f, __bpfvm_args, 1
#define __BPFVM_ARGS_3(f, a1, a2) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2)}
#define __BPFVM_PACK_3(f, a1, a2) f, __bpfvm_args, 2
#define __BPFVM_ARGS_4(f, a1, a2, a3) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3)}
#define __BPFVM_PACK_4(f, a1, a2, a3) f, __bpfvm_args, 3
#define __BPFVM_ARGS_5(f, a1, a2, a3, a4) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4)}
#define __BPFVM_PACK_5(f, a1, a2, a3, a4) f, __bpfvm_args, 4
#define __BPFVM_ARGS_6(f, a1, a2, a3, a4, a5) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5)}
#define __BPFVM_PACK_6(f, a1, a2, a3, a4, a5) f, __bpfvm_args, 5
#define __BPFVM_ARGS_7(f, a1, a2, a3, a4, a5, a6) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6)}
#define __BPFVM_PACK_7(f, a1, a2, a3, a4, a5, a6) f, __bpfvm_args, 6
#define __BPFVM_ARGS_8(f, a1, a2, a3, a4, a5, a6, a7) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7)}
#define __BPFVM_PACK_8(f, a1, a2, a3, a4, a5, a6, a7) f, __bpfvm_args, 7
#define __BPFVM_ARGS_9(f, a1, a2, a3, a4, a5, a6, a7, a8) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8)}
#define __BPFVM_PACK_9(f, a1, a2, a3, a4, a5, a6, a7, a8) f, __bpfvm_args, 8
#define __BPFVM_ARGS_10(f, a1, a2, a3, a4, a5, a6, a7, a8, a9) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8), \
    __BPFVM_U64(a9)}
#define __BPFVM_PACK_10(f, a1, a2, a3, a4, a5, a6, a7, a8, a9) f, __bpfvm_args, 9
#define __BPFVM_ARGS_11(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8), \
    __BPFVM_U64(a9), __BPFVM_U64(a10)}
#define __BPFVM_PACK_11(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10) f, __bpfvm_args, 10
#define __BPFVM_ARGS_12(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8), \
    __BPFVM_U64(a9), __BPFVM_U64(a10), __BPFVM_U64(a11)}
#define __BPFVM_PACK_12(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11) f, __bpfvm_args, 11
#define __BPFVM_ARGS_13(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8), \
    __BPFVM_U64(a9), __BPFVM_U64(a10), __BPFVM_U64(a11), __BPFVM_U64(a12)}
#define __BPFVM_PACK_13(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12) f, __bpfvm_args, 12
#define __BPFVM_ARGS_14(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8), \
    __BPFVM_U64(a9), __BPFVM_U64(a10), __BPFVM_U64(a11), __BPFVM_U64(a12), \
    __BPFVM_U64(a13)}
#define __BPFVM_PACK_14(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13) f, __bpfvm_args, 13
#define __BPFVM_ARGS_15(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8), \
    __BPFVM_U64(a9), __BPFVM_U64(a10), __BPFVM_U64(a11), __BPFVM_U64(a12), \
    __BPFVM_U64(a13), __BPFVM_U64(a14)}
#define __BPFVM_PACK_15(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14) f, __bpfvm_args, 14
#define __BPFVM_ARGS_16(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8), \
    __BPFVM_U64(a9), __BPFVM_U64(a10), __BPFVM_U64(a11), __BPFVM_U64(a12), \
    __BPFVM_U64(a13), __BPFVM_U64(a14), __BPFVM_U64(a15)}
#define __BPFVM_PACK_16(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15) f, __bpfvm_args, 15
#define __BPFVM_ARGS_17(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16) \
    const unsigned long long __bpfvm_args[] = { \
    __BPFVM_U64(a1), __BPFVM_U64(a2), __BPFVM_U64(a3), __BPFVM_U64(a4), \
    __BPFVM_U64(a5), __BPFVM_U64(a6), __BPFVM_U64(a7), __BPFVM_U64(a8), \
    __BPFVM_U64(a9), __BPFVM_U64(a10), __BPFVM_U64(a11), __BPFVM_U64(a12), \
    __BPFVM_U64(a13), __BPFVM_U64(a14), __BPFVM_U64(a15), __BPFVM_U64(a16)}
#define __BPFVM_PACK_17(f, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16) f, __bpfvm_args, 16

#endif /* __BPFVM_H */
