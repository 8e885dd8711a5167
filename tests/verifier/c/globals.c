/* Global data as libbpf maps it: .rodata read-only (BPF_F_RDONLY_PROG), .bss writable. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
const volatile unsigned char table[16] = {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16};
unsigned long counter;
SEC("socket") int lookup(struct __sk_buff *skb) { counter++; return table[skb->len & 15]; }
SEC("socket") int oob(struct __sk_buff *skb) { return table[skb->len & 31]; }
char LICENSE[] SEC("license") = "GPL";
SEC("socket") int write_rodata(struct __sk_buff *skb) { ((volatile unsigned char *)table)[1] = 3; return 0; }
