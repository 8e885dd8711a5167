/* Entry points of a bench kernel: each file defines ``struct buffers`` (its working memory,
 * sized by MAXN) and ``static long KERNEL(struct buffers *b, long n)``, then says
 * ``BENCH_ENTRY(KERNEL)``.  The same kernel C is then entered
 *
 * - by default (gcc natively, bpfvm): ``long kernel(long n)`` on a static ``struct buffers``, and
 *   ``long kernel_repeat(long n, long times)``, which runs it ``times`` times so that small
 *   sizes are timed without the caller's per-call overhead.  With ``-DBENCH_N=n`` both ignore
 *   their ``n`` and run the constant size, compiled like the kernel build below;
 * - with ``-DBENCH_XDP -DBENCH_N=n`` (the Linux kernel): an XDP program in section "xdp" that
 *   looks up the one value of the array map ``bench_map`` (legacy ``maps`` section definition),
 *   runs the kernel on the buffers in it with the constant n (the verifier needs known loop
 *   bounds) and stores the result in the value's first 8 bytes.  It returns XDP_PASS, or
 *   XDP_ABORTED if the lookup failed.
 */
#ifndef BENCH_XDP
#ifdef BENCH_N
#define BENCH_SIZE(n) BENCH_N
#else
#define BENCH_SIZE(n) (n)
#endif
#define BENCH_ENTRY(fn)                                                     \
    static struct buffers bench_buffers;                                    \
    long kernel(long n) { return fn(&bench_buffers, BENCH_SIZE(n)); }       \
    long kernel_repeat(long n, long times)                                  \
    {                                                                       \
        long result = 0;                                                    \
        for (long t = 0; t < times; t++) {                                  \
            __asm__ volatile("" ::: "memory"); /* no merging of the runs */ \
            result = fn(&bench_buffers, BENCH_SIZE(n));                     \
        }                                                                   \
        return result;                                                      \
    }
#else
struct bench_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
static void *(*const bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
#define BENCH_ENTRY(fn)                                                     \
    struct bench_value { long result; struct buffers buffers; };            \
    struct bench_map_def bench_map __attribute__((section("maps"), used)) = \
        {2 /* BPF_MAP_TYPE_ARRAY */, sizeof(unsigned int),                  \
         sizeof(struct bench_value), 1, 0};                                 \
    __attribute__((section("xdp"), used)) int bench_xdp(void *ctx)         \
    {                                                                       \
        unsigned int key = 0;                                               \
        struct bench_value *value = bpf_map_lookup_elem(&bench_map, &key);  \
        if (!value)                                                         \
            return 0;                                                       \
        value->result = fn(&value->buffers, BENCH_N);                       \
        return 2;                                                           \
    }
#endif
