/* XDP: report what the context shows (written over the packet's first bytes), return an
   action chosen by the packet's 16th byte. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_ctx(struct xdp_md *ctx)
{
    unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    unsigned char *meta = (void *)(long)ctx->data_meta;
    __u32 *out = (__u32 *)data;
    if (data + 16 > end)
        return XDP_ABORTED;
    unsigned action = data[15] % 5;
    out[0] = ctx->ingress_ifindex;
    out[1] = ctx->rx_queue_index;
    out[2] = end - data;
    out[3] = data - meta;
    return action;
}

char _license[] SEC("license") = "GPL";
