/* Socket filter: keep UDP packets whole and the first 40 bytes of TCP ones, drop the rest; the
   IP protocol is read with a legacy packet load (LD_ABS) from the network header. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

SEC("socket")
int socket_len(struct __sk_buff *skb)
{
    if (skb->protocol != __builtin_bswap16(0x0800))
        return 0;
    unsigned proto = load_byte(skb, 9);
    skb->cb[0] = skb->len;
    if (proto == 17)
        return skb->len;
    return proto == 6 ? 40 : 0;
}

char _license[] SEC("license") = "GPL";
