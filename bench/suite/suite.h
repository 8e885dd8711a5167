/* Entry of a suite kernel: each file defines ``static long KERNEL(long n)`` (over globals in
 * .bss or buffers it mallocs and passes on) and says ``SUITE_ENTRY(KERNEL)``, which gives
 * ``long bench(long n, long times)``: the kernel ``times`` times back to back (no merging of the
 * runs), returning the last result.  gcc -O2 natively and bpfvm build the same file. */
#define SUITE_ENTRY(fn)                                                     \
    long bench(long n, long times)                                          \
    {                                                                       \
        long result = 0;                                                    \
        for (long t = 0; t < times; t++) {                                  \
            __asm__ volatile("" ::: "memory");                              \
            result = fn(n);                                                 \
        }                                                                   \
        return result;                                                      \
    }
static inline long suite_bits(double d)
{
    union { double d; long l; } u = {d};
    return u.l;
}
