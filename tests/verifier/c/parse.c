/* XDP parsing with the bounds checks the verifier needs, and one access that misses its check. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, __u32);
    __type(value, __u64);
    __uint(max_entries, 64);
} by_source SEC(".maps");

SEC("xdp") int count_sources(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end)
        return XDP_PASS;
    __u32 key = ip->saddr;
    __u64 one = 1, *seen = bpf_map_lookup_elem(&by_source, &key);
    if (seen)
        *seen += 1;
    else
        bpf_map_update_elem(&by_source, &key, &one, BPF_ANY);
    return ip->ttl < 2 ? XDP_DROP : XDP_PASS;
}

SEC("xdp") int unchecked_ttl(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    return ip->ttl < 2 ? XDP_DROP : XDP_PASS;   /* no check that the IP header is in the packet */
}

char LICENSE[] SEC("license") = "GPL";
