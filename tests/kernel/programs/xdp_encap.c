/* XDP: encapsulate an IPv4 packet in an outer IPv4 header (IP-in-IP) and send it back:
   bpf_xdp_adjust_head makes room in front, the outer header is written from the inner one. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __always_inline __u16 ip_checksum(struct iphdr *ip)
{
    __u32 sum = 0;
    __u16 *words = (__u16 *)ip;
    for (int i = 0; i < (int)sizeof(*ip) / 2; i++)
        sum += words[i];
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return ~sum;
}

SEC("xdp")
int xdp_encap(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *inner = (void *)(eth + 1);
    if ((void *)(inner + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    __u16 inner_len = inner->tot_len;
    __u32 saddr = inner->saddr, daddr = inner->daddr;
    if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct iphdr)))
        return XDP_DROP;
    data = (void *)(long)ctx->data;
    end = (void *)(long)ctx->data_end;
    struct ethhdr *new_eth = data;
    struct iphdr *outer = (void *)(new_eth + 1);
    struct ethhdr *old_eth = (void *)outer;
    if ((void *)(outer + 1) > end || (void *)(old_eth + 1) > end)
        return XDP_DROP;
    __builtin_memcpy(new_eth->h_dest, old_eth->h_source, ETH_ALEN);
    __builtin_memcpy(new_eth->h_source, old_eth->h_dest, ETH_ALEN);
    new_eth->h_proto = bpf_htons(ETH_P_IP);
    outer->version = 4;
    outer->ihl = 5;
    outer->tos = 0;
    outer->tot_len = bpf_htons(bpf_ntohs(inner_len) + sizeof(*outer));
    outer->id = 0;
    outer->frag_off = 0;
    outer->ttl = 64;
    outer->protocol = IPPROTO_IPIP;
    outer->saddr = daddr;
    outer->daddr = saddr;
    outer->check = 0;
    outer->check = ip_checksum(outer);
    return XDP_TX;
}

char _license[] SEC("license") = "GPL";
