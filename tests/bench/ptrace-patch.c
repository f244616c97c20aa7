// SPDX-License-Identifier: GPL-2.0
/*
 * ptrace-patch: the way a ptrace-based live patcher (libcare, gdb) applies
 * a patch, written here as the benchmarks' baseline.  It applies exactly
 * what hdctl resolved: the directory "hdctl apply --dry-run --save-image
 * DIR" writes (code.bin, redirects; see hdctl(8)).
 *
 *   ptrace-patch --pid PID --image DIR [--revert] [--stats]
 *
 * Apply:
 * 1. PTRACE_SEIZE and PTRACE_INTERRUPT every thread; rescan
 *    /proc/PID/task until no new thread appears.
 * 2. Refuse if a thread's IP is inside a 5-byte window being overwritten.
 * 3. Map the code at code_addr: inject mmap(RW) into one stopped thread,
 *    write the code with process_vm_writev, inject mprotect(RX).
 * 4. Check each old entry still holds the expected bytes and write its
 *    "jmp rel32" with PTRACE_POKETEXT; a failure puts back what was written
 *    and unmaps the code.
 * 5. PTRACE_DETACH every thread.
 * Revert (--revert) stops the threads the same way, refuses if one is
 *    executing the patch's code, puts the old bytes back where the jumps
 *    are, unmaps the code with an injected munmap and, as the module does,
 *    drops each page's private copy that holds the file's bytes again
 *    (injected madvise(MADV_DONTNEED)): both patchers leave the pages as
 *    they found them, so neither inherits the other's copies.
 * With --stats, prints the time of each phase and the total in µs, and
 * the CLOCK_MONOTONIC times of the first seize and the last detach.
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
	"threads %d seize_us %.0f check_us %.0f map_us %.0f write_us %.0f release_us %.0f total_us %.0f start_us %.0f end_us %.0f\n"
#define MAX_THREADS	65536
#define MAX_JUMPS	4096
#define JMP_SIZE	5

struct jump {
	uint64_t old;
	uint64_t new;
	unsigned char expect[5];
};

static pid_t pid;
static pid_t tids[MAX_THREADS];
static int ntids;
static struct jump jumps[MAX_JUMPS];
static int njumps;
static uint64_t code_addr, code_size;

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

/*
 * The file and offset behind the mapping holding @addr, from
 * /proc/PID/maps; 0 if it is not a private file mapping without write.
 */
static int mapping_of(uint64_t addr, char *path, size_t len, uint64_t *off)
{
	unsigned long long lo, hi, pgoff;
	char line[4096], perms[8], file[4096];
	int found = 0;
	FILE *f;

	snprintf(line, sizeof(line), "/proc/%d/maps", pid);
	f = fopen(line, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		file[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095s", &lo, &hi,
			   perms, &pgoff, file) < 4 || addr < lo || addr >= hi)
			continue;
		if (file[0] == '/' && perms[1] == '-' && perms[3] == 'p') {
			snprintf(path, len, "%s", file);
			*off = pgoff + (addr - lo);
			found = 1;
		}
		break;
	}
	fclose(f);
	return found;
}

/* Whether the page at @addr is the process's own (anonymous) copy. */
static int private_copy(uint64_t addr)
{
	char path[64];
	uint64_t ent;
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ok = pread(fd, &ent, sizeof(ent), (addr / 4096) * sizeof(ent)) ==
	     sizeof(ent);
	close(fd);
	/* Present (bit 63) and not a file page (bit 61). */
	return ok && (ent >> 63 & 1) && !(ent >> 61 & 1);
}

/*
 * After a revert: drop the copy of every page the jumps were written into
 * if it holds the file's bytes again (madvise(MADV_DONTNEED), injected), so
 * that the process shares the page cache's page again, as the module does.
 */
static void drop_copies(uint64_t insn)
{
	static unsigned char want[4096], have[4096];
	uint64_t done[MAX_JUMPS], page, off;
	int i, k, ndone = 0, fd;
	struct iovec local, remote;
	char path[4096];
	ssize_t n;

	for (i = 0; i < njumps; i++) {
		page = jumps[i].old & ~4095ULL;
		for (k = 0; k < ndone && done[k] != page; k++)
			;
		if (k < ndone)
			continue;
		done[ndone++] = page;
		if (!mapping_of(page, path, sizeof(path), &off) ||
		    !private_copy(page))
			continue;
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = pread(fd, want, sizeof(want), off);
		close(fd);
		if (n < 0)
			continue;
		memset(want + n, 0, sizeof(want) - n);
		local.iov_base = have;
		local.iov_len = sizeof(have);
		remote.iov_base = (void *)page;
		remote.iov_len = sizeof(have);
		if (process_vm_readv(pid, &local, 1, &remote, 1, 0) !=
		    sizeof(have) || memcmp(want, have, sizeof(have)))
			continue;
		inject(tids[0], insn, SYS_madvise, page, 4096, MADV_DONTNEED,
		       0, 0, 0);
	}
}

static void encode_jump(const struct jump *j, unsigned char insn[JMP_SIZE])
{
	int32_t rel = (int32_t)(j->new - (j->old + JMP_SIZE));

	insn[0] = 0xe9;
	memcpy(insn + 1, &rel, sizeof(rel));
}

/* Replace the JMP_SIZE bytes @from at @addr by @to; -EILSEQ if they differ. */
static int poke5(uint64_t addr, const unsigned char *from,
		 const unsigned char *to)
{
	long word;

	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, tids[0], addr, 0);
	if (errno)
		return -errno;
	if (memcmp(&word, from, JMP_SIZE))
		return -EILSEQ;
	memcpy(&word, to, JMP_SIZE);
	return ptrace(PTRACE_POKETEXT, tids[0], addr, word) ? -errno : 0;
}

/* Write every jump (or, @revert, the old bytes), all or nothing. */
static int write_jumps(int revert)
{
	unsigned char insn[JMP_SIZE];
	int k, ret = 0;

	for (k = 0; k < njumps; k++) {
		encode_jump(&jumps[k], insn);
		ret = revert ? poke5(jumps[k].old, insn, jumps[k].expect) :
			       poke5(jumps[k].old, jumps[k].expect, insn);
		if (ret) {
			fprintf(stderr, "ptrace-patch: redirect %d at %#lx: %s\n",
				k, (unsigned long)jumps[k].old,
				ret == -EILSEQ ? "not the bytes expected" :
						 strerror(-ret));
			break;
		}
	}
	if (!ret)
		return 0;
	while (k--) {
		encode_jump(&jumps[k], insn);
		if (revert)
			poke5(jumps[k].old, jumps[k].expect, insn);
		else
			poke5(jumps[k].old, insn, jumps[k].expect);
	}
	return ret;
}

/* DIR/redirects and DIR/code.bin, as hdctl apply --save-image writes them. */
static void *read_image(const char *dir)
{
	char path[4096], line[512], hex[64], name[256];
	unsigned long long a, b;
	struct stat st;
	void *code;
	FILE *f;
	int fd, i;

	snprintf(path, sizeof(path), "%s/redirects", dir);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "code_addr %llx", &a) == 1) {
			code_addr = a;
		} else if (sscanf(line, "code_size %llu", &a) == 1) {
			code_size = a;
		} else if (sscanf(line, "func %llx %llx %63s %255s", &a, &b,
				  hex, name) == 4) {
			if (njumps == MAX_JUMPS) {
				njumps = 0;	/* refuse rather than half */
				break;
			}
			jumps[njumps].old = a;
			jumps[njumps].new = b;
			for (i = 0; i < JMP_SIZE; i++)
				if (sscanf(hex + 2 * i, "%2hhx",
					   &jumps[njumps].expect[i]) != 1)
					break;
			if (i < JMP_SIZE) {
				njumps = 0;
				break;
			}
			njumps++;
		}
	}
	fclose(f);
	if (!code_addr || !code_size || !njumps) {
		fprintf(stderr, "ptrace-patch: %s: malformed, or no code or redirects\n",
			path);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/code.bin", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || (uint64_t)st.st_size != code_size) {
		fprintf(stderr, "ptrace-patch: %s: missing or not %llu bytes\n",
			path, (unsigned long long)code_size);
		return NULL;
	}
	code = mmap(NULL, code_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	return code == MAP_FAILED ? NULL : code;
}

static int bad_usage(void)
{
	fputs("usage: ptrace-patch --pid PID --image DIR [--revert] [--stats]\n",
	      stderr);
	return 2;
}

/* A thread executing what is about to change; 1 if one is, after saying so. */
static int busy(int revert)
{
	struct user_regs_struct regs;
	int i, k;

	for (i = 0; i < ntids; i++) {
		if (ptrace(PTRACE_GETREGS, tids[i], 0, &regs))
			continue;
		if (revert && regs.rip >= code_addr &&
		    regs.rip < code_addr + code_size) {
			fprintf(stderr, "ptrace-patch: thread %d runs the patch's code\n",
				tids[i]);
			return 1;
		}
		for (k = 0; !revert && k < njumps; k++)
			if (regs.rip > jumps[k].old &&
			    regs.rip < jumps[k].old + JMP_SIZE) {
				fprintf(stderr, "ptrace-patch: thread %d is %s\n",
					tids[i], "inside the bytes to overwrite");
				return 1;
			}
	}
	return 0;
}

/* Map the code into the target, as the patch's text: RW, filled, RX. */
static int map_code(uint64_t insn, void *code)
{
	struct iovec l = { code, code_size };
	struct iovec r = { (void *)code_addr, code_size };
	long res;

	res = inject(tids[0], insn, SYS_mmap, code_addr, code_size,
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (res != (long)code_addr) {
		fprintf(stderr, "ptrace-patch: mmap in the target: %ld\n", res);
		return -1;
	}
	if (process_vm_writev(pid, &l, 1, &r, 1, 0) != (ssize_t)code_size) {
		perror("process_vm_writev");
		goto unmap;
	}
	res = inject(tids[0], insn, SYS_mprotect, code_addr, code_size,
		     PROT_READ | PROT_EXEC, 0, 0, 0);
	if (res) {
		fprintf(stderr, "ptrace-patch: mprotect in the target: %ld\n", res);
		goto unmap;
	}
	return 0;
unmap:
	inject(tids[0], insn, SYS_munmap, code_addr, code_size, 0, 0, 0, 0);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "image", required_argument, NULL, 'i' },
		{ "revert", no_argument, NULL, 'r' },
		{ "stats", no_argument, NULL, 's' },
		{ 0 }
	};
	double t0, t_seize = 0, t_check = 0, t_map = 0, t_write = 0, t_end;
	int c, i, stats = 0, revert = 0, ret = 1;
	const char *dir = NULL;
	uint64_t insn;
	void *code;
	long res;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pid = atoi(optarg);
			break;
		case 'i':
			dir = optarg;
			break;
		case 'r':
			revert = 1;
			break;
		case 's':
			stats = 1;
			break;
		default:
			return bad_usage();
		}
	}
	if (pid <= 0 || !dir || optind != argc)
		return bad_usage();
	code = read_image(dir);
	if (!code)
		return 1;

	t0 = now_us();
	do {
		c = seize_pass();
		if (c < 0) {
			fprintf(stderr, "ptrace-patch: seize: %s\n", strerror(-c));
			goto detach;
		}
	} while (c > 0);
	t_seize = now_us();
	if (busy(revert))
		goto detach;
	t_check = now_us();

	insn = find_syscall_insn();
	if (!insn) {
		fprintf(stderr, "ptrace-patch: no syscall instruction found\n");
		goto detach;
	}
	if (revert) {
		/* Text first, so nothing leads into the code being unmapped. */
		if (write_jumps(1))
			goto detach;
		t_map = now_us();
		res = inject(tids[0], insn, SYS_munmap, code_addr, code_size,
			     0, 0, 0, 0);
		if (res)
			fprintf(stderr, "ptrace-patch: munmap in the target: %ld\n",
				res);
		drop_copies(insn);
		t_write = now_us();
	} else {
		if (map_code(insn, code))
			goto detach;
		t_map = now_us();
		if (write_jumps(0)) {
			inject(tids[0], insn, SYS_munmap, code_addr, code_size,
			       0, 0, 0, 0);
			goto detach;
		}
		t_write = now_us();
	}
	ret = 0;
detach:
	for (i = 0; i < ntids; i++)
		ptrace(PTRACE_DETACH, tids[i], 0, 0);
	t_end = now_us();
	/* Phases a failure skipped took no time; the failed one is release. */
	t_seize = t_seize ?: t0;
	t_check = t_check ?: t_seize;
	t_map = t_map ?: t_check;
	t_write = t_write ?: t_map;
	/* Revert: the "map" phase is the unmap, after the write. */
	if (stats)
		printf(STATS_FMT, ntids, t_seize - t0, t_check - t_seize,
		       revert ? t_write - t_map : t_map - t_check,
		       revert ? t_map - t_check : t_write - t_map,
		       t_end - t_write, t_end - t0, t0, t_end);
	return ret;
}
