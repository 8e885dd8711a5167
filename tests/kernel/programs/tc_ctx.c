/* tc: write the __sk_buff fields a classifier sees over the packet, and set the writable ones. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_ctx(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    __u32 *out = data;
    if ((void *)(out + 24) > end)
        return 7;
    out[0] = skb->len; out[1] = skb->pkt_type; out[2] = skb->mark; out[3] = skb->queue_mapping;
    out[4] = skb->protocol; out[5] = skb->vlan_present; out[6] = skb->vlan_tci; out[7] = skb->vlan_proto;
    out[8] = skb->priority; out[9] = skb->ingress_ifindex; out[10] = skb->ifindex; out[11] = skb->tc_index;
    out[12] = skb->cb[0]; out[13] = skb->cb[4]; out[14] = skb->hash; out[15] = skb->tc_classid;
    out[16] = skb->napi_id; out[17] = skb->wire_len; out[18] = skb->gso_segs; out[19] = skb->gso_size;
    out[20] = skb->data_end - skb->data; out[21] = skb->data - skb->data_meta; out[22] = (__u32)skb->tstamp;
    out[23] = (__u32)skb->hwtstamp;
    skb->mark = skb->mark + 0x55; skb->priority = 3; skb->cb[1] = 9; skb->tc_index = 4; skb->tc_classid = 5;
    return skb->len & 0xff;
}

char _license[] SEC("license") = "GPL";
