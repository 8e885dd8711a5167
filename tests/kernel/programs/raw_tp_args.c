/* Raw tracepoint: the sum of its first three arguments, weighted. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("raw_tp/sys_enter")
int raw_tp_args(struct bpf_raw_tracepoint_args *ctx)
{
    return ctx->args[0] + 2 * ctx->args[1] + 3 * ctx->args[2];
}

char _license[] SEC("license") = "GPL";
