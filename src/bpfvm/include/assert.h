/*
 * assert.h - bpfvm libc.  A failed assert stops the program with a VmTrap of kind ABORT whose
 * message is glibc's ("file:line: function: Assertion `expr' failed.").
 * Like every assert.h, this one has no include guard: NDEBUG is honoured at each inclusion.
 */
#undef assert
#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
void __bpfvm_assert_fail(const char *__expr, const char *__file, int __line, const char *__func)
    __attribute__((__noreturn__));
#define assert(expr) \
    ((expr) ? (void)0 : __bpfvm_assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif

#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && \
    __STDC_VERSION__ < 202311L && !defined(static_assert)
#define static_assert _Static_assert
#endif
