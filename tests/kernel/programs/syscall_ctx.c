/* Syscall program: double every u32 of its context buffer and return their sum. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct args { __u32 v[4]; };

SEC("syscall")
int syscall_ctx(struct args *ctx)
{
    __u32 sum = 0;
    for (int i = 0; i < 4; i++) {
        sum += ctx->v[i];
        ctx->v[i] *= 2;
    }
    return sum;
}

char _license[] SEC("license") = "GPL";
