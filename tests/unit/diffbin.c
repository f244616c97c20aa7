// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl diff of two linked programs (-Wl,--emit-relocs, no
 * -ffunction-sections) over the case corpus in tests/diff/: each case's
 * old/ and new/ sources are linked here by tests/diff/build-bin (gcc and
 * clang, -O0 and -O2, PIE and not) and the set of changed and new
 * functions must be exactly the case's "expected-bin" file (one NAME a
 * line; "expected-bin.CC-OPT-PIE" overrides it for one build), or else
 * its "expected" file without the object names.  With changes, the
 * command must also write a patch that hdctl info accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "diff/diff.h"

#define CORPUS	"tests/diff"
#define MAXF	64

/* Every build, the two that differ most first. */
static const struct build {
	const char *cc, *opt, *pie;
} builds[] = {
	{ "gcc", "O2", "pie" }, { "clang", "O0", "nopie" },
	{ "gcc", "O0", "nopie" }, { "clang", "O2", "pie" },
	{ "gcc", "O0", "pie" }, { "gcc", "O2", "nopie" },
	{ "clang", "O0", "pie" }, { "clang", "O2", "nopie" },
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The output of a shell command line (stdout and stderr), and its status. */
static int capture(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int capture(char *out, size_t len, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	size_t n;
	FILE *p;

	strcpy(cmd, "( ");
	va_start(ap, fmt);
	vsnprintf(cmd + 2, sizeof(cmd) - 10, fmt, ap);
	va_end(ap);
	strcat(cmd, " ) 2>&1");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	n = pclose(p);
	return WIFEXITED(n) ? WEXITSTATUS(n) : -1;
}

/* The sorted function names a build of case @c must give. */
static size_t read_expected(const char *c, const char *build, char **v)
{
	char path[512], line[256], *colon;
	bool strip = false;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/expected-bin.%s", CORPUS, c, build);
	f = fopen(path, "r");
	if (!f) {
		snprintf(path, sizeof(path), "%s/%s/expected-bin", CORPUS, c);
		f = fopen(path, "r");
	}
	if (!f) {
		snprintf(path, sizeof(path), "%s/%s/expected", CORPUS, c);
		f = fopen(path, "r");
		strip = true;
	}
	if (!f)
		return (size_t)-1;
	while (n < MAXF && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		colon = strchr(line, ':');
		if (*line)
			v[n++] = strdup(strip && colon ? colon + 1 : line);
	}
	fclose(f);
	qsort(v, n, sizeof(*v), cmp_str);
	return n;
}

/* Diff one linked build; the number of mismatches (0: exact). */
static int diff_build(struct __test_metadata *_metadata, const char *c,
		      const char *build, const char *dir)
{
	char *want[MAXF], *got[MAXF], op[512], np[512], out[4096];
	struct hd_diff res = { 0 };
	size_t nw, ng = 0, i;
	int bad = 0;

	nw = read_expected(c, build, want);
	if (nw == (size_t)-1) {
		TH_LOG("%s: no expected file", c);
		return 1;
	}
	snprintf(op, sizeof(op), "%s/old-bin", dir);
	snprintf(np, sizeof(np), "%s/new-bin", dir);
	if (hd_diff_binaries(op, np, &res, NULL, NULL) || res.nrefusals) {
		TH_LOG("%s %s: diff failed: %s", c, build,
		       res.nrefusals ? res.refusals[0] : res.err.msg);
		bad++;
	}
	for (i = 0; i < res.n && ng < MAXF; i++)
		got[ng++] = strdup(res.funcs[i].name);
	hd_diff_free(&res);
	qsort(got, ng, sizeof(*got), cmp_str);
	if (ng != nw)
		bad++;
	for (i = 0; i < ng || i < nw; i++) {
		if (i < ng && i < nw && !strcmp(got[i], want[i]))
			continue;
		bad++;
		TH_LOG("%s %s: got %s, expected %s", c, build,
		       i < ng ? got[i] : "(none)", i < nw ? want[i] : "(none)");
	}
	/* The whole command: include and emit must take it too. */
	if (nw && (capture(out, sizeof(out),
			   "userspace/hdctl diff %s %s -o %s/p.hdp && userspace/hdctl info %s/p.hdp",
			   op, np, dir, dir))) {
		TH_LOG("%s %s: no patch: %s", c, build, out);
		bad++;
	}
	for (i = 0; i < ng; i++)
		free(got[i]);
	for (i = 0; i < nw; i++)
		free(want[i]);
	return bad;
}

/* Build and diff case @c in every combination, or only the first @max. */
static int bin_case(struct __test_metadata *_metadata, const char *c,
		    size_t max)
{
	char tmpl[] = "/tmp/hd-diffbin-XXXXXX", dir[256], build[64];
	int bad = 0;
	size_t i;

	if (!mkdtemp(tmpl))
		return 1;
	for (i = 0; i < max; i++) {
		const struct build *b = &builds[i];

		snprintf(build, sizeof(build), "%s-%s-%s", b->cc, b->opt, b->pie);
		snprintf(dir, sizeof(dir), "%s/%s", tmpl, build);
		if (run("tests/diff/build-bin %s %s %s %s %s", c, b->cc, b->opt,
			b->pie, dir)) {
			TH_LOG("%s: %s failed to build", c, build);
			bad++;
			continue;
		}
		bad += diff_build(_metadata, c, build, dir);
	}
	if (run("rm -rf %s", tmpl))
		bad++;
	return bad;
}

/* Every compiler, optimisation level and PIE mode: 8 builds. */
#define BIN_CASE(name) \
	TEST(name) { ASSERT_EQ(0, bin_case(_metadata, #name, 8)); }
/* gcc -O2 PIE and clang -O0 non-PIE only. */
#define BIN_CASE_2(name) \
	TEST(name) { ASSERT_EQ(0, bin_case(_metadata, #name, 2)); }

BIN_CASE(body_change)
BIN_CASE(new_function)
BIN_CASE(new_string)
BIN_CASE(libc_call)
BIN_CASE(global_state)
BIN_CASE(whitespace_only)
BIN_CASE(switch_table)
BIN_CASE(copy_reloc)
BIN_CASE(static_local_same_name)
BIN_CASE(line_only)
BIN_CASE(end_of_object)
BIN_CASE_2(static_local)
BIN_CASE_2(init_once)
BIN_CASE_2(new_static_helper)
BIN_CASE_2(static_clash)
BIN_CASE_2(new_global)
BIN_CASE_2(inlined_callee)

/* Build case @c once into a new directory @dir (of 32 bytes). */
static int build_one(char *dir, const char *c, const char *cc, const char *opt,
		     const char *pie)
{
	strcpy(dir, "/tmp/hd-diffbin-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return run("tests/diff/build-bin %s %s %s %s %s", c, cc, opt, pie, dir);
}

/*
 * What the patch resolves where: printf in a shared library, the
 * program's own globals and static locals in the running program,
 * which is the old program itself.
 */
TEST(patch_resolves_libc_and_state)
{
	char d[32], out[8192];

	ASSERT_EQ(0, build_one(d, "libc_call", "clang", "O0", "nopie"));
	ASSERT_EQ(0, capture(out, sizeof(out),
			     "userspace/hdctl diff %s/old-bin %s/new-bin -o %s/p.hdp && userspace/hdctl info %s/p.hdp",
			     d, d, d, d));
	TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "shlib    printf\n"));
	EXPECT_NE(NULL, strstr(out, "target   last at"));
	EXPECT_NE(NULL, strstr(out, "replace  report at"));
	EXPECT_NE(NULL, strstr(out, "/old-bin\n"));
	run("rm -rf %s", d);

	ASSERT_EQ(0, build_one(d, "global_state", "gcc", "O2", "pie"));
	ASSERT_EQ(0, capture(out, sizeof(out),
			     "userspace/hdctl diff %s/old-bin %s/new-bin -o %s/p.hdp && userspace/hdctl info %s/p.hdp",
			     d, d, d, d));
	TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "target   total at"));
	EXPECT_NE(NULL, strstr(out, "target   calls.0 at"));
	EXPECT_EQ(NULL, strstr(out, "shlib"));
	run("rm -rf %s", d);
}

/*
 * Library data the program holds copies of (R_X86_64_COPY) is the
 * library's, not new data of the patch: the running program's copies
 * (stdout, environ), the library's object where it has none (stderr).
 */
TEST(copy_relocated_data_resolves_as_the_process_does)
{
	char d[32], out[8192];
	size_t i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, build_one(d, "copy_reloc", i ? "clang" : "gcc",
				       "O2", i ? "nopie" : "pie"));
		ASSERT_EQ(0, capture(out, sizeof(out),
				     "userspace/hdctl diff --explain %s/old-bin %s/new-bin -o %s/p.hdp && userspace/hdctl info %s/p.hdp",
				     d, d, d, d));
		TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(out, "new data"));
		EXPECT_NE(NULL, strstr(out, "shlib    stderr\n"));
		EXPECT_NE(NULL, strstr(out, "target   stdout at"));
		EXPECT_NE(NULL, strstr(out, "target   environ at"));
		run("rm -rf %s", d);
	}
}

/* Linker-rewritten TLS accesses: refused (tests/diff/tls_relaxed/check). */
TEST(tls_accesses_the_linker_rewrote_are_refused)
{
	ASSERT_EQ(0, system(CORPUS "/tls_relaxed/check"));
}

/* main, a constructor and a destructor changed: warned, recorded. */
TEST(init_once_warned)
{
	char d[32], out[8192];

	ASSERT_EQ(0, build_one(d, "init_once", "gcc", "O2", "nopie"));
	ASSERT_EQ(0, capture(out, sizeof(out),
			     "userspace/hdctl diff %s/old-bin %s/new-bin -o %s/p.hdp && userspace/hdctl info %s/p.hdp",
			     d, d, d, d));
	TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "warning: main runs once at start-up; "
			       "the running process will not execute the new code"));
	EXPECT_NE(NULL, strstr(out, "warning: setup runs once at start-up"));
	EXPECT_NE(NULL, strstr(out, "warning: teardown runs only at exit"));
	EXPECT_EQ(NULL, strstr(out, "warning: compute"));
	EXPECT_NE(NULL, strstr(out, "main at"));
	EXPECT_NE(NULL, strstr(out, "(runs once at start-up)"));
	EXPECT_NE(NULL, strstr(out, "(runs only at exit)"));
	/* --explain says why. */
	ASSERT_EQ(0, capture(out, sizeof(out),
			     "userspace/hdctl diff --explain %s/old-bin %s/new-bin",
			     d, d));
	EXPECT_NE(NULL, strstr(out, "setup is a constructor (.init_array)"));
	EXPECT_NE(NULL, strstr(out, "teardown is a destructor (.fini_array)"));
	run("rm -rf %s", d);
}

/* Nothing changed: no patch, the command says so and exits 3. */
TEST(unchanged_build_is_an_empty_patch)
{
	char d[32], out[8192];

	ASSERT_EQ(0, build_one(d, "whitespace_only", "clang", "O2", "pie"));
	EXPECT_EQ(3, capture(out, sizeof(out),
			     "userspace/hdctl diff %s/old-bin %s/new-bin -o %s/p.hdp",
			     d, d, d));
	EXPECT_NE(NULL, strstr(out, "nothing to patch"));
	EXPECT_EQ(1, run("test -e %s/p.hdp", d));
	run("rm -rf %s", d);
}

/* --target names another copy of the running program. */
TEST(explicit_target)
{
	char d[32], out[8192];

	ASSERT_EQ(0, build_one(d, "body_change", "gcc", "O0", "pie"));
	ASSERT_EQ(0, run("cp %s/old-bin %s/running", d, d));
	ASSERT_EQ(0, capture(out, sizeof(out),
			     "userspace/hdctl diff --target %s/running %s/old-bin %s/new-bin -o %s/p.hdp && userspace/hdctl info %s/p.hdp",
			     d, d, d, d, d));
	EXPECT_NE(NULL, strstr(out, "/running\n"));
	/* --target without -o is a usage error. */
	EXPECT_EQ(2, capture(out, sizeof(out),
			     "userspace/hdctl diff --target %s/running %s/old-bin %s/new-bin",
			     d, d, d));
	run("rm -rf %s", d);
}

/* A program linked without --emit-relocs is refused with the fix. */
TEST(no_relocations_refused)
{
	char dir[] = "/tmp/hd-diffbin-XXXXXX", out[1024];

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, run("cd tests/diff/body_change && echo 'int main(void) { return 0; }' > %s/m.c && gcc -O2 -o %s/old-bin old/a.c %s/m.c && gcc -O2 -Wl,--emit-relocs -o %s/new-bin new/a.c %s/m.c",
			 dir, dir, dir, dir, dir));
	EXPECT_EQ(1, capture(out, sizeof(out), "userspace/hdctl diff %s/old-bin %s/new-bin",
			     dir, dir));
	EXPECT_NE(NULL, strstr(out, "old-bin has no relocations; link it with -Wl,--emit-relocs"));
	run("rm -rf %s", dir);
}

/* Changes no live patch can carry are refused by name, as for objects. */
static int refuse_bin(struct __test_metadata *_metadata, const char *c)
{
	char dir[] = "/tmp/hd-diffbin-XXXXXX", want[256] = "", out[2048];
	int bad = 0;
	size_t i;
	FILE *f;

	snprintf(out, sizeof(out), "%s/%s/refused", CORPUS, c);
	f = fopen(out, "r");
	if (!f || !fgets(want, sizeof(want), f))
		bad++;
	if (f)
		fclose(f);
	want[strcspn(want, "\n")] = 0;
	if (!*want || !mkdtemp(dir))
		return bad + 1;
	for (i = 0; i < 2; i++) {
		if (run("tests/diff/build-bin %s %s %s %s %s/%zu", c, builds[i].cc,
			builds[i].opt, builds[i].pie, dir, i)) {
			bad++;
			continue;
		}
		if (capture(out, sizeof(out), "userspace/hdctl diff %s/%zu/old-bin %s/%zu/new-bin",
			    dir, i, dir, i) != 1 || !strstr(out, want)) {
			TH_LOG("%s %s: wanted \"%s\", got: %s", c, builds[i].cc,
			       want, out);
			bad++;
		}
	}
	run("rm -rf %s", dir);
	return bad;
}

#define REFUSE_BIN(name) \
	TEST(name) { ASSERT_EQ(0, refuse_bin(_metadata, #name)); }

REFUSE_BIN(refuse_global_layout)
REFUSE_BIN(refuse_tls)
REFUSE_BIN(refuse_init_value)
REFUSE_BIN(refuse_global_const)

TEST_HARNESS_MAIN
