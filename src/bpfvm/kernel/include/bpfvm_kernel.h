/* bpfvm_kernel.h - what kernel-style BPF programs need beyond libbpf 1.1's headers.
 *
 * Include after <bpf/bpf_helpers.h>.  Declares the kfuncs bpfvm implements (as the kernel's
 * vmlinux.h / bpf_experimental.h would: extern __ksym functions) and the open-coded iterator
 * macros bpf_for/bpf_for_each/bpf_repeat of newer libbpf (tools/lib/bpf/bpf_helpers.h).
 * Written for bpfvm from the kernel's documented kfunc signatures.
 */
#ifndef BPFVM_KERNEL_H
#define BPFVM_KERNEL_H

#ifndef __ksym
#define __ksym __attribute__((section(".ksyms")))
#endif

#ifndef __bpfvm_has_iter_num
#define __bpfvm_has_iter_num
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));
#endif

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;

extern void bpf_rcu_read_lock(void) __weak __ksym;
extern void bpf_rcu_read_unlock(void) __weak __ksym;

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __weak __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __weak __ksym;
#define bpf_obj_new(type) ((type *)bpf_obj_new_impl(bpf_core_type_id_local(type), (void *)0))
#define bpf_obj_drop(kptr) bpf_obj_drop_impl(kptr, (void *)0)

#ifndef bpf_for_each
/* bpf_for_each(num, v, start, end): v points at each int in [start, end). */
#define bpf_for_each(type, cur, args...) for (						\
	struct bpf_iter_##type ___it __attribute__((aligned(8),				\
		cleanup(bpf_iter_##type##_destroy))),					\
	*___p __attribute__((unused)) = (						\
		bpf_iter_##type##_new(&___it, ##args),					\
		(void)bpf_iter_##type##_destroy, (void *)0);				\
	(((cur) = bpf_iter_##type##_next(&___it)));					\
)
#endif

#ifndef bpf_for
/* bpf_for(i, start, end): i takes each int value in [start, end). */
#define bpf_for(i, start, end) for (							\
	struct bpf_iter_num ___it __attribute__((aligned(8),				\
		cleanup(bpf_iter_num_destroy))),					\
	*___p __attribute__((unused)) = (						\
		bpf_iter_num_new(&___it, (start), (end)),				\
		(void)bpf_iter_num_destroy, (void *)0);					\
	({										\
		int *___t = bpf_iter_num_next(&___it);					\
		(___t && ((i) = *___t, (i) >= (start) && (i) < (end)));			\
	});										\
)
#endif

#ifndef bpf_repeat
/* bpf_repeat(n): run the body n times. */
#define bpf_repeat(N) for (								\
	struct bpf_iter_num ___it __attribute__((aligned(8),				\
		cleanup(bpf_iter_num_destroy))),					\
	*___p __attribute__((unused)) = (						\
		bpf_iter_num_new(&___it, 0, (N)),					\
		(void)bpf_iter_num_destroy, (void *)0);					\
	bpf_iter_num_next(&___it);							\
)
#endif

#endif /* BPFVM_KERNEL_H */
