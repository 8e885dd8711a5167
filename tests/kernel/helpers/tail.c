/* Tail calls through a prog array, timers and spin locks in map values (helper table + maps). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int depth;

int chain(void *ctx);
int leaf(void *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [0] = (void *)&chain, [1] = (void *)&leaf },
};

SEC("syscall") int chain(void *ctx)
{
	depth++;
	bpf_tail_call(ctx, &jumps, 0);   /* itself, until the kernel's limit of 33 */
	return 1000 + depth;             /* the 34th falls through */
}

SEC("syscall") int leaf(void *ctx)
{
	return 7;
}

SEC("syscall") int to_leaf(void *ctx)
{
	bpf_tail_call(ctx, &jumps, 1);
	return -1;
}

SEC("syscall") int missing(void *ctx)
{
	bpf_tail_call(ctx, &jumps, 2);   /* empty slot */
	bpf_tail_call(ctx, &jumps, 9);   /* past the end */
	return 5;
}

struct elem {
	struct bpf_timer t;
	struct bpf_spin_lock lock;
	long hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, int);
	__type(value, struct elem);
} timers SEC(".maps");

long last_key = -1;

static int ring(void *map, int *key, struct elem *value)
{
	bpf_spin_lock(&value->lock);
	value->hits++;
	bpf_spin_unlock(&value->lock);
	last_key = *key;
	return 0;
}

SEC("syscall") int start_timer(void *ctx)
{
	int key = 3;
	struct elem zero = {}, *e;

	bpf_map_update_elem(&timers, &key, &zero, BPF_ANY);
	e = bpf_map_lookup_elem(&timers, &key);
	if (!e)
		return -1;
	if (bpf_timer_init(&e->t, &timers, 1 /* CLOCK_MONOTONIC */))
		return -2;
	bpf_timer_set_callback(&e->t, ring);
	return bpf_timer_start(&e->t, 1000000, 0);
}

char LICENSE[] SEC("license") = "GPL";
