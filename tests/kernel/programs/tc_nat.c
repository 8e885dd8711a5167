/* tc: rewrite the destination address of an IPv4/UDP packet to 192.168.0.9 with
   bpf_skb_store_bytes, fixing the IP and UDP checksums with bpf_l3/l4_csum_replace; returns the
   bpf_csum_diff of the two addresses, and reads the protocol back with
   bpf_skb_load_bytes_relative (from the network header) into the mark. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IP_OFF ETH_HLEN
#define DADDR_OFF (IP_OFF + __builtin_offsetof(struct iphdr, daddr))
#define IPCSUM_OFF (IP_OFF + __builtin_offsetof(struct iphdr, check))
#define UDPCSUM_OFF (IP_OFF + sizeof(struct iphdr) + __builtin_offsetof(struct udphdr, check))

SEC("tc")
int tc_nat(struct __sk_buff *skb)
{
    __u32 old, new = bpf_htonl(0xc0a80009);
    __u8 proto = 0;
    if (bpf_skb_load_bytes(skb, DADDR_OFF, &old, 4))
        return TC_ACT_SHOT;
    if (bpf_skb_load_bytes_relative(skb, __builtin_offsetof(struct iphdr, protocol), &proto, 1,
                                    BPF_HDR_START_NET))
        return TC_ACT_SHOT;
    skb->mark = proto;
    if (proto != IPPROTO_UDP)
        return TC_ACT_OK;
    bpf_l4_csum_replace(skb, UDPCSUM_OFF, old, new, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | 4);
    bpf_l3_csum_replace(skb, IPCSUM_OFF, old, new, 4);
    bpf_skb_store_bytes(skb, DADDR_OFF, &new, 4, 0);
    __u32 pair[2] = {old, new};
    return bpf_csum_diff(&old, 4, &new, 4, 0) + bpf_csum_diff(0, 0, pair, 8, 0xfffff000) * 3;
}

char _license[] SEC("license") = "GPL";
