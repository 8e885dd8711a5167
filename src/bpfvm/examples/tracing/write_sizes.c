/* Seed 001's tracing example: a histogram of write(2) sizes.
 *
 * The program runs at each syscalls:sys_enter_write tracepoint (section name as in the seed),
 * takes log2 of the byte count and increments that bucket of a legacy array map of 64 u64
 * (struct bpf_map_def in SEC("maps"), as samples/bpf wrote maps before BTF). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
};

struct bpf_map_def SEC("maps") write_sizes = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 64,
};

/* /sys/kernel/tracing/events/syscalls/sys_enter_write/format */
struct sys_enter_write_args {
    unsigned long long common;
    long syscall_nr;
    unsigned long fd;
    const char *buf;
    unsigned long count;
};

/* bcc's bpf_log2l: floor(log2(v)) + 1, 0 for 0 — bucket i holds [2^(i-1), 2^i - 1]. */
static __always_inline __u32 log2l(__u64 v)
{
    __u32 bits = 0;
    while (v && bits < 64) {
        v >>= 1;
        bits++;
    }
    return bits;
}

SEC("events/syscalls/sys_enter_write")
int count_write(struct sys_enter_write_args *ctx)
{
    __u32 key = log2l(ctx->count);
    if (key > 63)
        key = 63;
    __u64 *bucket = bpf_map_lookup_elem(&write_sizes, &key);
    if (bucket)
        __sync_fetch_and_add(bucket, 1);
    return 0;
}

char _license[] SEC("license") = "GPL";
