/* Socket filters: context fields, a bounded loop over cb[], a map lookup without its NULL check. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, __u32);
    __type(value, __u32);
    __uint(max_entries, 8);
} limits SEC(".maps");

SEC("socket") int by_length(struct __sk_buff *skb)
{
    __u32 sum = 0;
    for (int i = 0; i < 5; i++)
        sum += skb->cb[i];
    return skb->len > sum ? 0 : -1;
}

SEC("socket") int limit_lookup(struct __sk_buff *skb)
{
    __u32 key = skb->mark & 7;
    __u32 *limit = bpf_map_lookup_elem(&limits, &key);
    return skb->len > *limit;   /* rejected: the lookup may return NULL */
}

SEC("socket") int limit_checked(struct __sk_buff *skb)
{
    __u32 key = skb->mark & 7;
    __u32 *limit = bpf_map_lookup_elem(&limits, &key);
    if (!limit)
        return 0;
    return skb->len > *limit;
}

SEC("socket") int stack_buffer(struct __sk_buff *skb)
{
    char buf[64];
    __u32 n = skb->len & 63;
    for (__u32 i = 0; i < sizeof(buf); i++)
        buf[i] = i;
    return buf[n];
}

char LICENSE[] SEC("license") = "GPL";
