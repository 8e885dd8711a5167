#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 4); } counts SEC(".maps");
SEC("xdp") int count(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
  if (data + 14 > end) return XDP_PASS;
  __u32 k = ((unsigned char *)data)[12] & 3;
  __u64 *v = bpf_map_lookup_elem(&counts, &k);
  if (v) __sync_fetch_and_add(v, 1);
  return XDP_PASS;
}
SEC("socket") int sock(struct __sk_buff *skb) { return skb->len > 100 ? -1 : 0; }
char LICENSE[] SEC("license") = "GPL";
