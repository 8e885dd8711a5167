/* Kernel-style programs exercising the map helpers (compiled with bpfvm.cc kernel=True). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} percpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_QUEUE);
    __uint(max_entries, 3);
    __type(value, __u32);
} queue SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} inner_a SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner);
} outer SEC(".maps") = { .values = { [1] = &inner_a } };

__u64 runs = 0;
const volatile __u64 bias = 100;

SEC("syscall")
long count(__u64 arg) {
    __u32 key = arg;
    __u64 one = 1, *v = bpf_map_lookup_elem(&counts, &key);
    runs++;
    if (v) {
        __sync_fetch_and_add(v, 1);
        return *v + bias;
    }
    return bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
}

SEC("syscall")
long forget(__u64 arg) {
    __u32 key = arg;
    return bpf_map_delete_elem(&counts, &key);
}

static long add_value(void *map, __u32 *key, __u64 *value, __u64 *sum) {
    *sum += *value * 1000 + *key;
    return 0;
}

SEC("syscall")
long sum_counts(void *ctx) {
    __u64 sum = 0;
    long n = bpf_for_each_map_elem(&counts, add_value, &sum, 0);
    return sum * 10 + n;
}

SEC("syscall")
long bump_percpu(__u64 cpu) {
    __u32 key = 1;
    __u64 *mine = bpf_map_lookup_elem(&percpu, &key);
    if (!mine)
        return -1;
    *mine += 5;
    __u64 *other = bpf_map_lookup_percpu_elem(&percpu, &key, cpu);
    return other ? (long)*other : -2;
}

SEC("syscall")
long queue_ops(__u64 n) {
    long status = 0;
    for (__u32 i = 1; i <= n; i++)
        status = status * 100 + (-bpf_map_push_elem(&queue, &i, 0));
    __u32 head = 0;
    if (bpf_map_peek_elem(&queue, &head))
        return -1;
    __u32 over = 99;
    status = status * 100 + (-bpf_map_push_elem(&queue, &over, BPF_EXIST));
    __u32 out = 0, sum = 0;
    while (bpf_map_pop_elem(&queue, &out) == 0)
        sum = sum * 100 + out;
    return status * 100000000L + sum * 10 + head;
}

struct event { __u32 seq; __u32 tag; };

SEC("syscall")
long produce(__u64 n) {
    for (__u32 i = 0; i < n; i++) {
        struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
        if (!e)
            return -1;
        e->seq = i;
        e->tag = 0xabc;
        if (i & 1)
            bpf_ringbuf_discard(e, 0);
        else
            bpf_ringbuf_submit(e, 0);
    }
    struct event last = { 1000, 0xdef };
    if (bpf_ringbuf_output(&events, &last, sizeof(last), 0))
        return -2;
    return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
}

SEC("syscall")
long inner_value(__u64 slot) {
    __u32 key = slot, zero = 0;
    void *inner = bpf_map_lookup_elem(&outer, &key);
    if (!inner)
        return -1;
    __u32 *v = bpf_map_lookup_elem(inner, &zero);
    return v ? *v : -2;
}

char LICENSE[] SEC("license") = "GPL";
