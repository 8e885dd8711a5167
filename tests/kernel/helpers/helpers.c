/* Kernel-style programs calling bpfvm's helpers and kfuncs (compiled with compile_c(kernel=True)). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpfvm_kernel.h>

char out[128];
long vals[8];

static long add_until(__u32 i, void *ctx)
{
	long *sum = ctx;
	*sum += i;
	return *sum > 1000;
}

SEC("syscall") int loop_sum(void *ctx)
{
	long sum = 0;
	long n = bpf_loop(100, add_until, &sum, 0);
	vals[0] = sum;
	vals[1] = bpf_loop(1, add_until, &sum, 1);            /* flags != 0 */
	vals[2] = bpf_loop((1 << 23) + 1, add_until, &sum, 0); /* too many */
	vals[3] = bpf_loop(0, add_until, &sum, 0);
	return n;
}

SEC("syscall") int for_sum(void *ctx)
{
	int i, total = 0, count = 0;
	struct bpf_iter_num it;

	bpf_for(i, 3, 10) total += i;
	bpf_repeat(5) count++;
	vals[0] = total;
	vals[1] = count;
	vals[2] = bpf_iter_num_new(&it, 5, 2);             /* start > end */
	bpf_iter_num_destroy(&it);
	vals[3] = bpf_iter_num_new(&it, 0, (1 << 23) + 1);  /* too long */
	bpf_iter_num_destroy(&it);
	return total;
}

SEC("syscall") int printing(void *ctx)
{
	long r = BPF_SNPRINTF(out, sizeof(out), "%d|%5u|%-4x|%lld|%s|%c|%%|%08X", -7, 42, 0xab,
			      -1234567890123LL, "str", 'z', 0xbeef);
	bpf_printk("hello %d", 5);
	vals[0] = bpf_trace_printk("bad %q", 7);
	vals[1] = BPF_SNPRINTF(out + 100, 4, "%d", 123456);
	return r;
}

static long parse(const char *text, __u32 size, __u64 flags, long *res)
{
	return bpf_strtol(text, size, flags, res);
}

SEC("syscall") int strings(void *ctx)
{
	char a[] = "  -0x1fz", b[] = "777", c[] = "-5", d[] = "99999999999999999999";
	long r;
	unsigned long u;

	vals[0] = parse(a, sizeof(a) - 1, 0, &r); vals[1] = r;
	vals[2] = parse(b, sizeof(b) - 1, 8, &r); vals[3] = r;
	vals[4] = bpf_strtoul(c, sizeof(c) - 1, 10, &u);
	vals[5] = parse(d, sizeof(d) - 1, 10, &r);
	vals[6] = bpf_strncmp(a, 4, "  -0");
	vals[7] = bpf_strncmp(b, 3, "778");
	return 0;
}

SEC("syscall") int task(void *ctx)
{
	char comm[16];
	vals[0] = bpf_get_current_pid_tgid();
	vals[1] = bpf_get_current_uid_gid();
	bpf_get_current_comm(comm, sizeof(comm));
	__builtin_memcpy(out, comm, 16);
	vals[2] = bpf_get_smp_processor_id() | (long)bpf_get_numa_node_id() << 32;
	vals[3] = bpf_get_prandom_u32();
	vals[4] = bpf_send_signal(9);
	vals[5] = bpf_send_signal_thread(65);
	vals[6] = bpf_get_current_task() != 0;
	return 0;
}

SEC("syscall") int clocks(void *ctx)
{
	vals[0] = bpf_ktime_get_ns();
	vals[1] = bpf_ktime_get_boot_ns();
	vals[2] = bpf_ktime_get_coarse_ns();
	vals[3] = bpf_ktime_get_tai_ns();
	vals[4] = bpf_jiffies64();
	return 0;
}

SEC("syscall") int probing(__u64 *args)
{
	char buf[16];
	vals[0] = bpf_probe_read_user(buf, 8, (void *)args[0]);
	__builtin_memcpy(out, buf, 8);
	vals[1] = bpf_probe_read_user_str(out + 16, 16, (void *)args[0]);
	vals[2] = bpf_probe_read_kernel(buf, 8, (void *)args[1]);
	__builtin_memcpy(out + 32, buf, 8);
	vals[3] = bpf_probe_read_kernel_str(out + 48, 4, (void *)args[1]);
	vals[4] = bpf_copy_from_user(buf, 4, (void *)0x10);   /* nothing mapped there */
	vals[5] = bpf_probe_read_kernel(buf, 4, out);          /* guest memory is kernel memory */
	return 0;
}

SEC("syscall") int stack(void *ctx)
{
	__u64 ips[4];
	vals[0] = bpf_get_stack(ctx, ips, sizeof(ips), 0);
	vals[1] = ips[0];
	vals[2] = ips[3];
	vals[3] = bpf_get_stack(ctx, ips, sizeof(ips), 1);
	vals[4] = bpf_get_stack(ctx, ips, 12, 0);
	vals[5] = bpf_get_stack(ctx, ips, sizeof(ips), 9);
	return 0;
}

struct bpf_spin_lock lock;
long counter;

SEC("syscall") int locked(void *ctx)
{
	bpf_spin_lock(&lock);
	counter++;
	bpf_spin_unlock(&lock);
	return counter;
}

SEC("syscall") int double_lock(void *ctx)
{
	bpf_spin_lock(&lock);
	bpf_spin_lock(&lock);
	return 0;
}

SEC("syscall") int dynptrs(void *ctx)
{
	char mem[16] = "abcdefgh", dst[4];
	struct bpf_dynptr p;
	char *data;

	vals[0] = bpf_dynptr_from_mem(mem, sizeof(mem), 0, &p);
	vals[1] = bpf_dynptr_read(dst, 4, &p, 2, 0);
	__builtin_memcpy(out, dst, 4);
	vals[2] = bpf_dynptr_write(&p, 14, "XYZ", 3, 0);      /* past the end */
	vals[3] = bpf_dynptr_write(&p, 0, "XY", 2, 0);
	data = bpf_dynptr_data(&p, 0, 4);
	vals[4] = data ? data[0] : -1;
	vals[5] = bpf_dynptr_data(&p, 10, 8) == 0;
	vals[6] = bpf_dynptr_from_mem(mem, sizeof(mem), 1, &p);
	vals[7] = bpf_dynptr_read(dst, 1, &p, 0, 0);           /* NULL dynptr */
	return 0;
}

SEC("syscall") int rcu(void *ctx)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	bpf_rcu_read_unlock();
	return 1;
}

__u64 kptr_slot = 0x1234;

SEC("syscall") int xchg(void *ctx)
{
	return (long)bpf_kptr_xchg(&kptr_slot, (void *)0x5678);
}



struct bpf_timer timer;
long fired, fired_key, fired_value;

static int on_timer(void *map, int *key, void *value)
{
	fired++;
	fired_value = (long)value;
	return 0;
}

SEC("syscall") int arm(__u64 *args)
{
	vals[0] = bpf_timer_init(&timer, &counter, 1);
	vals[1] = bpf_timer_init(&timer, &counter, 1);        /* again: -EBUSY */
	vals[2] = bpf_timer_start(&timer, 1000, 0);           /* no callback yet: -EINVAL */
	vals[3] = bpf_timer_set_callback(&timer, on_timer);
	vals[4] = bpf_timer_start(&timer, args[0], 0);
	return (long)&timer;
}

SEC("syscall") int disarm(void *ctx)
{
	return bpf_timer_cancel(&timer);
}
char LICENSE[] SEC("license") = "GPL";
