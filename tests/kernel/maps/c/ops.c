/* One syscall program that applies a map operation chosen by its context: run by the kernel
 * (BPF_PROG_TEST_RUN) and by bpfvm with the same inputs, it diffs the map helpers' program-side
 * semantics (return codes, contents). A single code section, so the image starts at its entry. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 6); __type(key, __u32); __type(value, __u64); }
    hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); }
    array SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 3); __type(value, __u64); } queue SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK); __uint(max_entries, 3); __type(value, __u64); } stack SEC(".maps");

struct args { __u32 op, key; __u64 value; __u64 flags; __u64 out; };
__u64 calls = 0;

#define KEYED(map)                                                  \
    switch (a->op & 15) {                                           \
    case 0:                                                         \
        return bpf_map_update_elem(&map, &key, &value, a->flags);   \
    case 1:                                                         \
        v = bpf_map_lookup_elem(&map, &key);                        \
        if (!v)                                                     \
            return -1;                                              \
        a->out = *v;                                                \
        *v += 1;                                                    \
        return 0;                                                   \
    default:                                                        \
        return bpf_map_delete_elem(&map, &key);                     \
    }

#define QUEUED(map)                                                 \
    switch (a->op & 15) {                                           \
    case 3:                                                         \
        return bpf_map_push_elem(&map, &value, a->flags);           \
    case 4:                                                         \
        ret = bpf_map_pop_elem(&map, &out);                         \
        a->out = out;                                               \
        return ret;                                                 \
    default:                                                        \
        ret = bpf_map_peek_elem(&map, &out);                        \
        a->out = out;                                               \
        return ret;                                                 \
    }

SEC("syscall")
long apply(struct args *a) {
    __u32 key = a->key;
    __u64 value = a->value, out = 0, *v;
    long ret;
    calls++;
    switch (a->op >> 4) {
    case 0:
        KEYED(hash)
    case 1:
        KEYED(array)
    case 2:
        QUEUED(queue)
    default:
        QUEUED(stack)
    }
}

char LICENSE[] SEC("license") = "GPL";
