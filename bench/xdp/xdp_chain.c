/* A tail-call chain: stage 0 → 1 → 2 → 3 through a prog_array, each stage touching the packet. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __uint(key_size, sizeof(__u32));
    __array(values, int (void *));
} stages SEC(".maps");

static __always_inline int step(struct xdp_md *ctx, __u32 next)
{
    unsigned char *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
    if (data + 1 > end)
        return XDP_ABORTED;
    data[0] += 1;
    bpf_tail_call(ctx, &stages, next);
    return XDP_PASS;
}

SEC("xdp") int stage3(struct xdp_md *ctx) { return step(ctx, 9); }
SEC("xdp") int stage2(struct xdp_md *ctx) { return step(ctx, 3); }
SEC("xdp") int stage1(struct xdp_md *ctx) { return step(ctx, 2); }
SEC("xdp") int stage0(struct xdp_md *ctx) { return step(ctx, 1); }

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __uint(key_size, sizeof(__u32));
    __array(values, int (void *));
} stages_init SEC(".maps") = { .values = { [1] = (void *)&stage1, [2] = (void *)&stage2, [3] = (void *)&stage3 } };

char _license[] SEC("license") = "GPL";
