/* XDP: grow or shrink the packet by the signed byte at offset 14, move metadata by the byte at
   15, and report bpf_xdp_get_buff_len and the last 8 bytes (bpf_xdp_load_bytes: they may lie in
   a fragment) in the first 16 bytes. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
    unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    if (data + 16 > end)
        return XDP_ABORTED;
    int grow = (signed char)data[14];
    int meta = (signed char)data[15];
    long tail = bpf_xdp_adjust_tail(ctx, grow);
    long moved = bpf_xdp_adjust_meta(ctx, meta);
    __u32 len = bpf_xdp_get_buff_len(ctx);
    __u64 last = 0;
    long loaded = bpf_xdp_load_bytes(ctx, len - 8, &last, 8);
    data = (void *)(long)ctx->data;
    end = (void *)(long)ctx->data_end;
    if (data + 16 > end)
        return XDP_ABORTED;
    ((__u32 *)data)[0] = len;
    ((__u32 *)data)[1] = (tail & 0xff) | (moved & 0xff) << 8 | (loaded & 0xff) << 16;
    ((__u64 *)data)[1] = last;
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
