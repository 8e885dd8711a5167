/* A legacy SEC("maps") object: struct bpf_map_def records (28-byte iproute2 layout). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_legacy {
    unsigned int type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node;
};

struct bpf_map_def_legacy hist SEC("maps") = { BPF_MAP_TYPE_ARRAY, 4, 8, 8, 0, 0, 0 };
struct bpf_map_def_legacy seen SEC("maps") = { BPF_MAP_TYPE_HASH, 8, 4, 16, BPF_F_NO_PREALLOC, 0, 0 };

SEC("socket")
long classify(__u64 value) {
    __u32 bucket = value & 7;
    __u64 *slot = bpf_map_lookup_elem(&hist, &bucket);
    if (slot)
        *slot += 1;
    __u32 one = 1;
    bpf_map_update_elem(&seen, &value, &one, BPF_ANY);
    return bucket;
}

char LICENSE[] SEC("license") = "GPL";
