/* Static BPF-to-BPF calls: arguments, a pointer into the caller's stack, a loop in the callee. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int sum(const unsigned char *buf, int n)
{
    int total = 0;
    for (int i = 0; i < n && i < 32; i++)
        total += buf[i];
    return total;
}

static __attribute__((noinline)) int fill(unsigned char *buf, int seed)
{
    for (int i = 0; i < 32; i++)
        buf[i] = seed + i;
    return 32;
}

SEC("socket") int checksum(struct __sk_buff *skb)
{
    unsigned char buf[32];
    int n = fill(buf, skb->len & 0xff);
    return sum(buf, n) & 1;
}

SEC("socket") int overflow(struct __sk_buff *skb)
{
    unsigned char buf[32];
    fill(buf, 1);
    return buf[skb->len & 63];   /* rejected: the index may leave buf */
}

char LICENSE[] SEC("license") = "GPL";
