/* A kprobe-style tracer: at each (host-fired) do_sys_openat2(dfd, filename, how) entry, send
 * an event {pid, flags, name} through a ring buffer, and count opens per pid in a hash map. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
    __u32 pid;
    __u32 dfd;
    char name[64];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, __u64);
} opens SEC(".maps");

/* x86-64 pt_regs: the first three arguments are in rdi, rsi, rdx (PT_REGS_PARM1..3). */
struct regs { unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di; };

SEC("kprobe/do_sys_openat2")
int trace_open(struct regs *ctx)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (e) {
        e->pid = pid;
        e->dfd = ctx->di;
        bpf_probe_read_user_str(e->name, sizeof(e->name), (const void *)ctx->si);
        bpf_ringbuf_submit(e, 0);
    }
    __u64 one = 1, *count = bpf_map_lookup_elem(&opens, &pid);
    if (count)
        __sync_fetch_and_add(count, 1);
    else
        bpf_map_update_elem(&opens, &pid, &one, BPF_NOEXIST);
    return 0;
}

/* A raw tracepoint on sched_process_exec-like events: args[0] is a task id, args[1] a code;
 * each event goes to the ring buffer as {pid, code}. */
SEC("raw_tp/sched_process_exit")
int trace_exit(struct bpf_raw_tracepoint_args *ctx)
{
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    e->pid = ctx->args[0];
    e->dfd = ctx->args[1];
    e->name[0] = 0;
    bpf_ringbuf_submit(e, 0);
    return 0;
}

char _license[] SEC("license") = "GPL";
