// SPDX-License-Identifier: GPL-2.0
/*
 * ptrace-patch: the way a ptrace-based live patcher (libcare, gdb) applies
 * a patch, written here as the benchmarks' baseline.  Same patch as
 * hdctl's, already resolved: code to map and jumps to write.
 *
 *   ptrace-patch --pid PID --map ADDR:FILE [--jump OLD:NEW]... [--stats]
 *
 * 1. PTRACE_SEIZE and PTRACE_INTERRUPT every thread; rescan
 *    /proc/PID/task until no new thread appears.
 * 2. Refuse if a thread's IP is inside a 5-byte window being overwritten.
 * 3. Map FILE at ADDR: inject mmap(RW) into one stopped thread, write the
 *    code with process_vm_writev, inject mprotect(RX).
 * 4. Write each "jmp rel32" with PTRACE_POKETEXT.
 * 5. PTRACE_DETACH every thread.
 * With --stats, prints the time of each phase and the total in µs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STATS_FMT \
	"threads %d seize_us %.0f check_us %.0f map_us %.0f write_us %.0f release_us %.0f total_us %.0f\n"
#define MAX_THREADS	65536
#define MAX_JUMPS	4096

struct jump {
	uint64_t old;
	uint64_t new;
};

static pid_t pid;
static pid_t tids[MAX_THREADS];
static int ntids;
static struct jump jumps[MAX_JUMPS];
static int njumps;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int known(pid_t tid)
{
	int i;

	for (i = 0; i < ntids; i++)
		if (tids[i] == tid)
			return 1;
	return 0;
}

/* Seize and stop every thread; returns how many were new this pass. */
static int seize_pass(void)
{
	char path[64];
	struct dirent *de;
	int added = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t tid = atoi(de->d_name);
		int status;

		if (tid <= 0 || known(tid))
			continue;
		if (ntids == MAX_THREADS) {
			closedir(d);
			return -E2BIG;
		}
		if (ptrace(PTRACE_SEIZE, tid, 0, 0) ||
		    ptrace(PTRACE_INTERRUPT, tid, 0, 0)) {
			if (errno == ESRCH)
				continue;	/* exited meanwhile */
			closedir(d);
			return -errno;
		}
		if (waitpid(tid, &status, __WALL) != tid) {
			closedir(d);
			return -errno;
		}
		tids[ntids++] = tid;
		added++;
	}
	closedir(d);
	return added;
}

/* A "syscall" instruction in the target: from the vDSO. */
static uint64_t find_syscall_insn(void)
{
	char path[64], line[512];
	uint64_t start, end, a, found = 0;
	unsigned char *buf;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		struct iovec l, r;

		if (!strstr(line, "[vdso]") ||
		    sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		buf = malloc(end - start);
		l = (struct iovec){ buf, end - start };
		r = (struct iovec){ (void *)start, end - start };
		if (buf && process_vm_readv(pid, &l, 1, &r, 1, 0) ==
			   (ssize_t)(end - start))
			for (a = 0; a + 1 < end - start; a++)
				if (buf[a] == 0x0f && buf[a + 1] == 0x05) {
					found = start + a;
					break;
				}
		free(buf);
	}
	fclose(f);
	return found;
}

/* Run one system call in stopped thread @tid; its return value. */
static long inject(pid_t tid, uint64_t insn, long nr, long a1, long a2,
		   long a3, long a4, long a5, long a6)
{
	struct user_regs_struct saved, regs;
	int status;

	if (ptrace(PTRACE_GETREGS, tid, 0, &saved))
		return -errno;
	regs = saved;
	regs.rip = insn;
	regs.rax = nr;
	regs.orig_rax = -1;	/* not in a syscall: no restart games */
	regs.rdi = a1;
	regs.rsi = a2;
	regs.rdx = a3;
	regs.r10 = a4;
	regs.r8 = a5;
	regs.r9 = a6;
	if (ptrace(PTRACE_SETREGS, tid, 0, &regs) ||
	    ptrace(PTRACE_SINGLESTEP, tid, 0, 0) ||
	    waitpid(tid, &status, __WALL) != tid ||
	    ptrace(PTRACE_GETREGS, tid, 0, &regs) ||
	    ptrace(PTRACE_SETREGS, tid, 0, &saved))
		return -errno;
	return regs.rax;
}

static int write_jump(const struct jump *j)
{
	int64_t rel = (int64_t)(j->new - (j->old + 5));
	unsigned char insn[5] = { 0xe9 };
	long word;

	if (rel < INT32_MIN || rel > INT32_MAX)
		return -ERANGE;
	memcpy(insn + 1, &(int32_t){ rel }, 4);
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, tids[0], j->old, 0);
	if (errno)
		return -errno;
	memcpy(&word, insn, 5);
	return ptrace(PTRACE_POKETEXT, tids[0], j->old, word) ? -errno : 0;
}

static int bad_usage(void)
{
	fputs("usage: ptrace-patch --pid PID --map ADDR:FILE [--jump OLD:NEW]...\n"
	      "                    [--stats]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "map", required_argument, NULL, 'm' },
		{ "jump", required_argument, NULL, 'j' },
		{ "stats", no_argument, NULL, 's' },
		{ 0 }
	};
	double t0, t_seize = 0, t_check = 0, t_map = 0, t_write = 0, t_end;
	uint64_t map_addr = 0, insn, len;
	const char *map_file = NULL;
	int c, i, k, stats = 0, ret = 1;
	struct iovec l, r;
	void *code;
	struct stat st;
	long res;
	int fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *colon = optarg ? strchr(optarg, ':') : NULL;

		switch (c) {
		case 'p':
			pid = atoi(optarg);
			break;
		case 'm':
			if (!colon)
				return bad_usage();
			map_addr = strtoull(optarg, NULL, 0);
			map_file = colon + 1;
			break;
		case 'j':
			if (!colon || njumps == MAX_JUMPS)
				return bad_usage();
			jumps[njumps].old = strtoull(optarg, NULL, 0);
			jumps[njumps++].new = strtoull(colon + 1, NULL, 0);
			break;
		case 's':
			stats = 1;
			break;
		default:
			return bad_usage();
		}
	}
	if (pid <= 0 || !map_file)
		return bad_usage();
	fd = open(map_file, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		perror(map_file);
		return 1;
	}
	len = (st.st_size + 4095) & ~4095ULL;
	code = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (code == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	t0 = now_us();
	do {
		c = seize_pass();
		if (c < 0) {
			fprintf(stderr, "ptrace-patch: seize: %s\n", strerror(-c));
			goto detach;
		}
	} while (c > 0);
	t_seize = now_us();

	for (i = 0; i < ntids; i++) {
		struct user_regs_struct regs;

		if (ptrace(PTRACE_GETREGS, tids[i], 0, &regs))
			continue;
		for (k = 0; k < njumps; k++)
			if (regs.rip > jumps[k].old && regs.rip < jumps[k].old + 5) {
				fprintf(stderr, "ptrace-patch: thread %d is %s\n",
					tids[i], "inside the bytes to overwrite");
				goto detach;
			}
	}
	t_check = now_us();

	insn = find_syscall_insn();
	if (!insn) {
		fprintf(stderr, "ptrace-patch: no syscall instruction found\n");
		goto detach;
	}
	res = inject(tids[0], insn, SYS_mmap, map_addr, len,
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (res != (long)map_addr) {
		fprintf(stderr, "ptrace-patch: mmap in the target: %ld\n", res);
		goto detach;
	}
	l = (struct iovec){ code, st.st_size };
	r = (struct iovec){ (void *)map_addr, st.st_size };
	if (process_vm_writev(pid, &l, 1, &r, 1, 0) != st.st_size) {
		perror("process_vm_writev");
		goto detach;
	}
	res = inject(tids[0], insn, SYS_mprotect, map_addr, len,
		     PROT_READ | PROT_EXEC, 0, 0, 0);
	if (res) {
		fprintf(stderr, "ptrace-patch: mprotect in the target: %ld\n", res);
		goto detach;
	}
	t_map = now_us();

	for (k = 0; k < njumps; k++) {
		res = write_jump(&jumps[k]);
		if (res) {
			fprintf(stderr, "ptrace-patch: jump %d: %s\n", k,
				strerror(-res));
			goto detach;
		}
	}
	t_write = now_us();
	ret = 0;
detach:
	for (i = 0; i < ntids; i++)
		ptrace(PTRACE_DETACH, tids[i], 0, 0);
	t_end = now_us();
	if (stats)
		printf(STATS_FMT, ntids, t_seize - t0, t_check - t_seize,
		       ret ? 0 : t_map - t_check, ret ? 0 : t_write - t_map,
		       t_end - (ret ? t_check : t_write), t_end - t0);
	return ret;
}
