/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small targets for the hotdeploy selftests: functions with known bytes and
 * sizes (hand-assembled, so the compiler cannot move or inline them), code
 * blobs to redirect them to, and helpers to read a child's memory and find
 * room near its text.  Include after kselftest_harness.h and hd_selftest.h.
 *
 * A test forks a child that runs functions of the test binary itself, so
 * the child's functions are at the same addresses as the parent's and the
 * parent can take expected bytes from its own copy.
 */
#ifndef HD_SELFTEST_TARGET_H
#define HD_SELFTEST_TARGET_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <linux/hotdeploy.h>

/*
 * hd_ret1: returns 1.  hd_ret10: returns 10.  hd_spin: spins until
 * *(int *)arg is non-zero, then returns 1.  hd_call_ret1: calls hd_ret1
 * and returns its result.  hd_call_ptr: calls fn, so that while fn runs
 * a return address into hd_call_ptr is on the stack.
 */
int hd_ret1(void);
int hd_ret10(void);
int hd_spin(volatile int *flag);
int hd_call_ret1(void);
void hd_call_ptr(void (*fn)(void));
extern const unsigned char hd_ret1_end[], hd_ret10_end[], hd_spin_end[];
extern const unsigned char hd_call_ret1_end[], hd_call_ptr_end[];

__asm__(".text\n"
	".p2align 4\n"
	".globl hd_ret1\n.type hd_ret1, @function\n"
	"hd_ret1:\n\tmovl $1, %eax\n\tret\n"
	".globl hd_ret1_end\nhd_ret1_end:\n"
	".size hd_ret1, . - hd_ret1\n"
	".p2align 4\n"
	".globl hd_ret10\n.type hd_ret10, @function\n"
	"hd_ret10:\n\tmovl $10, %eax\n\tret\n"
	".globl hd_ret10_end\nhd_ret10_end:\n"
	".size hd_ret10, . - hd_ret10\n"
	".p2align 4\n"
	".globl hd_spin\n.type hd_spin, @function\n"
	"hd_spin:\n\tmovl $0, %eax\n"
	"1:\tpause\n\tcmpl $0, (%rdi)\n\tje 1b\n\tmovl $1, %eax\n\tret\n"
	".globl hd_spin_end\nhd_spin_end:\n"
	".size hd_spin, . - hd_spin\n"
	".p2align 4\n"
	".globl hd_call_ret1\n.type hd_call_ret1, @function\n"
	"hd_call_ret1:\n\tsubq $8, %rsp\n\tcall hd_ret1\n\taddq $8, %rsp\n\tret\n"
	".globl hd_call_ret1_end\nhd_call_ret1_end:\n"
	".size hd_call_ret1, . - hd_call_ret1\n"
	".p2align 4\n"
	".globl hd_call_ptr\n.type hd_call_ptr, @function\n"
	"hd_call_ptr:\n\tsubq $8, %rsp\n\tcall *%rdi\n\taddq $8, %rsp\n\tret\n"
	".globl hd_call_ptr_end\nhd_call_ptr_end:\n"
	".size hd_call_ptr, . - hd_call_ptr\n"
	".p2align 12\n"
	".globl hd_many\nhd_many:\n"
	".rept 1024\n\t.p2align 4\n\tmovl $1, %eax\n\tret\n.endr\n"
	".globl hd_many_end\nhd_many_end:\n"
);

/* HD_MANY functions returning 1, each HD_MANY_SIZE bytes, 16 apart. */
#define HD_MANY		1024
#define HD_MANY_SIZE	6
extern const unsigned char hd_many[], hd_many_end[];

static inline int hd_many_call(unsigned int i)
{
	return ((int (*)(void))(hd_many + 16 * i))();
}

/*
 * kselftest_harness.h runs a TEST_F body even when its FIXTURE_SETUP
 * skipped (no /dev/hotdeploy): such a body starts with this.
 */
#define HD_RETURN_IF_SKIPPED() do {					\
	if (_metadata->skip)						\
		return;							\
} while (0)

#define HD_SIZE(fn)	((uint64_t)(fn##_end - (const unsigned char *)(fn)))

/*
 * A simple target's state, in memory shared with the test: the child's
 * main thread calls hd_ret1() in a loop, publishing each result.
 */
struct hd_loop {
	volatile int last;		/* hd_ret1()'s latest result */
	volatile long iters;
	volatile int flag;		/* for hd_spin(): stays 0 */
};

static inline struct hd_loop *hd_loop_new(void)
{
	struct hd_loop *l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (l == MAP_FAILED)
		return NULL;
	memset(l, 0, sizeof(*l));
	return l;
}

static inline __attribute__((noreturn)) void hd_loop_run(struct hd_loop *l)
{
	for (;;) {
		l->last = hd_ret1();
		l->iters++;
		usleep(1000);
	}
}

/* Wait up to @ms for the loop to publish @value; returns the last one. */
static inline int hd_loop_wait(struct hd_loop *l, int value, int ms)
{
	long start = l->iters;

	while (ms-- > 0 && (l->last != value || l->iters < start + 2))
		usleep(1000);
	return l->last;
}

/* movl $N, %eax; ret */
static inline void hd_blob_ret(unsigned char blob[6], uint32_t n)
{
	blob[0] = 0xb8;
	memcpy(&blob[1], &n, 4);
	blob[5] = 0xc3;
}

static inline uint64_t hd_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline uint64_t hd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Read @len bytes at @addr of @pid.  0 or -errno. */
static inline int hd_peek(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	return n == (ssize_t)len ? 0 : -errno;
}

/*
 * A free, page-aligned range of @len bytes in @pid within 1 GiB above
 * @near, with a free page on either side: where patch code goes.
 * 0 if none.
 */
static inline uint64_t hd_find_hole(pid_t pid, uint64_t near, uint64_t len)
{
	uint64_t prev_end = 0, start, end, best = 0;
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) != 2)
			continue;
		if (prev_end > near && start > prev_end &&
		    start - prev_end >= len + 2 * 4096 &&
		    prev_end + 4096 - near < (1ULL << 30)) {
			best = prev_end + 4096;
			break;
		}
		prev_end = end;
	}
	fclose(f);
	return best;
}

/* The start of @pid's first mapping above @addr, or 0. */
static inline uint64_t hd_next_mapping(pid_t pid, uint64_t addr)
{
	uint64_t start, end, found = 0;
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2 &&
		    start > addr) {
			found = start;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Whether /proc/PID/maps of @pid mentions @what. */
static inline int hd_maps_has(pid_t pid, const char *what)
{
	char path[64], line[512];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, what))
			found = 1;
	fclose(f);
	return found;
}

/*
 * kB of the mapping holding @addr that are the process's own copies
 * (smaps' "Anonymous:"), not the file's pages; -1 if not found.
 */
static inline long hd_private_kb(pid_t pid, uint64_t addr)
{
	unsigned long long start, end;
	char path[64], line[512];
	long kb = -1;
	int in = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* Only a mapping's first line starts with "START-END". */
		if (sscanf(line, "%llx-%llx ", &start, &end) == 2) {
			in = addr >= start && addr < end;
			continue;
		}
		if (in && sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* One redirect of @fn (size @size) in the child to @new_addr. */
static inline void hd_func_init(struct hd_func *f, const void *fn,
				uint64_t size, uint64_t new_addr)
{
	memset(f, 0, sizeof(*f));
	f->old_addr = hd_addr(fn);
	f->old_size = size;
	f->new_addr = new_addr;
	f->expect_len = size < HD_EXPECT_MAX ? size : HD_EXPECT_MAX;
	memcpy(f->expect, fn, f->expect_len);
}

static inline void hd_apply_init(struct hd_apply *a, pid_t pid,
				 struct hd_func *funcs, uint32_t nr,
				 const void *code, uint64_t code_size,
				 uint64_t code_addr)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->pid = pid;
	a->funcs = hd_addr(funcs);
	a->nr_funcs = nr;
	a->func_size = sizeof(*funcs);
	a->code = hd_addr(code);
	a->code_size = code_size;
	a->code_addr = code_addr;
	a->attempts = 3;
	a->retry_delay_ms = 10;
}

/* The module's reference count, or -1 if it cannot be read. */
static inline int hd_module_refs(void)
{
	FILE *f = fopen("/sys/module/hotdeploy/refcnt", "r");
	int refs = -1;

	if (f) {
		if (fscanf(f, "%d", &refs) != 1)
			refs = -1;
		fclose(f);
	}
	return refs;
}

/*
 * A request to the module, with the proof it asks of apply, revert and
 * list (Documentation/security.rst): the target's /proc/PID/mem, opened
 * for the call.  A request that names a mem_fd of its own (a test of the
 * proof) keeps it.
 */
static inline int hd_ioctl(int fd, unsigned long cmd, void *arg)
{
	__s32 *mem = NULL;
	char path[64];
	int ret, pid = 0;

	if (cmd == HD_IOC_APPLY) {
		mem = &((struct hd_apply *)arg)->mem_fd;
		pid = ((struct hd_apply *)arg)->pid;
	} else if (cmd == HD_IOC_REVERT) {
		mem = &((struct hd_revert *)arg)->mem_fd;
		pid = ((struct hd_revert *)arg)->pid;
	} else if (cmd == HD_IOC_LIST) {
		mem = &((struct hd_list *)arg)->mem_fd;
		pid = ((struct hd_list *)arg)->pid;
	}
	if (mem && *mem)
		mem = NULL;
	if (mem) {
		snprintf(path, sizeof(path), "/proc/%d/mem", pid);
		*mem = open(path, O_RDONLY | O_CLOEXEC);
	}
	ret = ioctl(fd, cmd, arg) ? -errno : 0;
	if (mem) {
		if (*mem >= 0)
			close(*mem);
		*mem = 0;
	}
	return ret;
}

static inline int hd_revert_top(int fd, pid_t pid, uint64_t id,
				struct hd_revert *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->pid = pid;
	r->patch_id = id;
	r->attempts = 3;
	r->retry_delay_ms = 10;
	return hd_ioctl(fd, HD_IOC_REVERT, r);
}

static inline void hd_log_timing(const char *what, const struct hd_timing *t,
				 unsigned int threads)
{
	printf("# %s: %u threads, pause %.3f ms (park %.3f check %.3f",
	       what, threads, t->pause_ns / 1e6, t->park_ns / 1e6,
	       t->check_ns / 1e6);
	printf(" map %.3f write %.3f release %.3f)\n",
	       t->map_ns / 1e6, t->write_ns / 1e6, t->release_ns / 1e6);
}

#endif /* HD_SELFTEST_TARGET_H */
