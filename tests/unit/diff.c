// SPDX-License-Identifier: GPL-2.0
/*
 * hdctl diff over the case corpus in tests/diff/: each case's old/ and
 * new/ sources are compiled here (gcc and clang, -O0 and -O2, with
 * -g -ffunction-sections -fdata-sections) and the set of changed and new
 * functions must be exactly the case's "expected" file (one FILE.o:NAME
 * a line; "expected.CC-OPT" overrides it for one build).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "diff/diff.h"

#define CORPUS	"tests/diff"

static const char *const ccs[] = { "gcc", "clang" };
static const char *const opts[] = { "O0", "O2" };

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compile every CORPUS/@c/@ver/ *.c into @dir/@ver/. */
static int build(const char *c, const char *ver, const char *cc,
		 const char *opt, const char *dir)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p %s/%s; for f in %s/%s/%s/*.c; do "
		 "%s -%s -g -ffunction-sections -fdata-sections -c \"$f\" "
		 "-o %s/%s/$(basename \"$f\" .c).o; done",
		 dir, ver, CORPUS, c, ver, cc, opt, dir, ver);
	return system(cmd);
}

/* The sorted "FILE.o:NAME" lines of a case's expected file. */
static size_t read_expected(const char *c, const char *cc, const char *opt,
			    char **v, size_t max)
{
	char path[512], line[256];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/expected.%s-%s", CORPUS, c, cc, opt);
	f = fopen(path, "r");
	if (!f) {
		snprintf(path, sizeof(path), "%s/%s/expected", CORPUS, c);
		f = fopen(path, "r");
	}
	if (!f)
		return (size_t)-1;
	while (n < max && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (*line)
			v[n++] = strdup(line);
	}
	fclose(f);
	qsort(v, n, sizeof(*v), cmp_str);
	return n;
}

/* Diff one built case; returns the number of mismatches (0: exact). */
static int diff_case(struct __test_metadata *_metadata, const char *c,
		     const char *cc, const char *opt, const char *dir)
{
	char *want[64], *got[64], op[1024], np[1024];
	size_t nw, ng = 0, i;
	struct dirent *de;
	int bad = 0;
	DIR *d;

	nw = read_expected(c, cc, opt, want, 64);
	if (nw == (size_t)-1) {
		TH_LOG("%s: no expected file", c);
		return 1;
	}
	snprintf(op, sizeof(op), "%s/old", dir);
	d = opendir(op);
	if (!d)
		return 1;
	while ((de = readdir(d))) {
		struct hd_diff res = { 0 };

		if (de->d_name[0] == '.')
			continue;
		snprintf(op, sizeof(op), "%s/old/%s", dir, de->d_name);
		snprintf(np, sizeof(np), "%s/new/%s", dir, de->d_name);
		if (hd_diff_objects(op, np, &res, NULL, NULL) ||
		    res.nrefusals) {
			TH_LOG("%s %s-%s: diff of %s failed: %s", c, cc, opt,
			       de->d_name, res.nrefusals ? res.refusals[0] :
			       res.err.msg);
			bad++;
			hd_diff_free(&res);
			continue;
		}
		for (i = 0; i < res.n && ng < 64; i++)
			if (asprintf(&got[ng], "%s:%s", de->d_name,
				     res.funcs[i].name) > 0)
				ng++;
		hd_diff_free(&res);
	}
	closedir(d);
	qsort(got, ng, sizeof(*got), cmp_str);
	if (ng != nw)
		bad++;
	for (i = 0; i < ng || i < nw; i++) {
		if (i < ng && i < nw && !strcmp(got[i], want[i]))
			continue;
		bad++;
		TH_LOG("%s %s-%s: got %s, expected %s", c, cc, opt,
		       i < ng ? got[i] : "(none)", i < nw ? want[i] : "(none)");
	}
	for (i = 0; i < ng; i++)
		free(got[i]);
	for (i = 0; i < nw; i++)
		free(want[i]);
	return bad;
}

static int run_case(struct __test_metadata *_metadata, const char *c)
{
	char tmpl[] = "/tmp/hd-diff-XXXXXX", dir[256], cmd[300];
	int bad = 0;
	size_t i, j;

	if (!mkdtemp(tmpl))
		return 1;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			snprintf(dir, sizeof(dir), "%s/%s-%s", tmpl, ccs[i], opts[j]);
			if (build(c, "old", ccs[i], opts[j], dir) ||
			    build(c, "new", ccs[i], opts[j], dir)) {
				TH_LOG("%s: %s -%s failed to build", c, ccs[i], opts[j]);
				bad++;
				continue;
			}
			bad += diff_case(_metadata, c, ccs[i], opts[j], dir);
		}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd))
		bad++;
	return bad;
}

#define DIFF_CASE(name) \
	TEST(name) { ASSERT_EQ(0, run_case(_metadata, #name)); }

DIFF_CASE(body_change)
DIFF_CASE(new_function)
DIFF_CASE(new_static_helper)
DIFF_CASE(static_clash)
DIFF_CASE(new_string)
DIFF_CASE(new_global)
DIFF_CASE(static_local)
DIFF_CASE(inlined_callee)
DIFF_CASE(whitespace_only)
DIFF_CASE(changed_const_all_users)
DIFF_CASE(static_const_twins)
DIFF_CASE(static_const_twin_changed)
DIFF_CASE(libc_call)
DIFF_CASE(global_state)
DIFF_CASE(init_once)
DIFF_CASE(switch_table)
DIFF_CASE(copy_reloc)
DIFF_CASE(static_local_same_name)
DIFF_CASE(alias_changed)
DIFF_CASE(merged_constant)
DIFF_CASE(line_only)
DIFF_CASE(end_of_object)

/* Left out and said so; kept when asked (tests/diff/line_only). */
TEST(line_only_changes_are_listed_and_kept_on_request)
{
	char tmpl[] = "/tmp/hd-diff-XXXXXX", cmd[1024];

	ASSERT_NE(NULL, mkdtemp(tmpl));
	ASSERT_EQ(0, build("line_only", "old", "gcc", "O2", tmpl));
	ASSERT_EQ(0, build("line_only", "new", "gcc", "O2", tmpl));
	snprintf(cmd, sizeof(cmd),
		 "userspace/hdctl diff %s/old/a.o %s/new/a.o 2>&1 | grep -qx 'line-only below'",
		 tmpl, tmpl);
	EXPECT_EQ(0, system(cmd));
	snprintf(cmd, sizeof(cmd),
		 "userspace/hdctl diff --keep-line-changes %s/old/a.o %s/new/a.o | grep -qx 'changed below'",
		 tmpl, tmpl);
	EXPECT_EQ(0, system(cmd));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	EXPECT_EQ(0, system(cmd));
}

/*
 * C++: the patch carries the new code's unwind tables; a caller without
 * any is refused (tests/diff/cxx_exceptions/check).
 */
TEST(exceptions_unwind_through_new_code)
{
	ASSERT_EQ(0, system(CORPUS "/cxx_exceptions/check"));
}

/* Two files named u.c in one program (tests/diff/dup_basenames/check). */
TEST(duplicate_file_names_pair_by_path)
{
	ASSERT_EQ(0, system(CORPUS "/dup_basenames/check"));
}

/*
 * A refused case: on every build hdctl diff exits 1 with a message that
 * contains the case's "refused" file (which names the symbol).
 */
static int refuse_case(struct __test_metadata *_metadata, const char *c)
{
	char tmpl[] = "/tmp/hd-diff-XXXXXX", dir[256], cmd[1024];
	char want[256] = "", out[1024];
	int bad = 0;
	size_t i, j, n;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s/%s/refused", CORPUS, c);
	f = fopen(cmd, "r");
	if (!f || !fgets(want, sizeof(want), f))
		bad++;
	if (f)
		fclose(f);
	want[strcspn(want, "\n")] = 0;
	if (!*want || !mkdtemp(tmpl))
		return bad + 1;
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++) {
			snprintf(dir, sizeof(dir), "%s/%s-%s", tmpl, ccs[i], opts[j]);
			if (build(c, "old", ccs[i], opts[j], dir) ||
			    build(c, "new", ccs[i], opts[j], dir)) {
				bad++;
				continue;
			}
			snprintf(cmd, sizeof(cmd),
				 "userspace/hdctl diff %s/old/a.o %s/new/a.o 2>&1 >/dev/null; echo rc=$?",
				 dir, dir);
			f = popen(cmd, "r");
			if (!f) {
				bad++;
				continue;
			}
			n = fread(out, 1, sizeof(out) - 1, f);
			out[n] = 0;
			pclose(f);
			if (!strstr(out, want) || !strstr(out, "rc=1")) {
				TH_LOG("%s %s-%s: wanted \"%s\", got: %s", c,
				       ccs[i], opts[j], want, out);
				bad++;
			}
		}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
	if (system(cmd))
		bad++;
	return bad;
}

#define REFUSE_CASE(name) \
	TEST(name) { ASSERT_EQ(0, refuse_case(_metadata, #name)); }

REFUSE_CASE(refuse_global_layout)
REFUSE_CASE(refuse_tls)
REFUSE_CASE(refuse_init_value)
REFUSE_CASE(refuse_global_const)
REFUSE_CASE(refuse_two_at_once)

/*
 * Every change that cannot be patched is reported by one run, as the
 * library's list and as the command's lines plus a count.
 */
TEST(every_refusal_is_reported_at_once)
{
	char tmpl[] = "/tmp/hd-diff-XXXXXX", op[300], np[300], cmd[1024];
	char out[2048] = "";
	struct hd_diff res = { 0 };
	FILE *p;
	size_t n;

	ASSERT_NE(NULL, mkdtemp(tmpl));
	ASSERT_EQ(0, build("refuse_two_at_once", "old", "gcc", "O2", tmpl));
	ASSERT_EQ(0, build("refuse_two_at_once", "new", "gcc", "O2", tmpl));
	snprintf(op, sizeof(op), "%s/old/a.o", tmpl);
	snprintf(np, sizeof(np), "%s/new/a.o", tmpl);
	ASSERT_EQ(0, hd_diff_objects(op, np, &res, NULL, NULL));
	ASSERT_EQ(2, res.nrefusals);
	EXPECT_NE(NULL, strstr(res.refusals[0], "table changes size"));
	EXPECT_NE(NULL, strstr(res.refusals[1], "initial value of limit"));
	hd_diff_free(&res);
	snprintf(cmd, sizeof(cmd),
		 "userspace/hdctl diff %s/old/a.o %s/new/a.o 2>&1; echo rc=$?; rm -rf %s",
		 tmpl, tmpl, tmpl);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	pclose(p);
	EXPECT_NE(NULL, strstr(out, "table changes size")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "initial value of limit")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "2 changes cannot be patched live")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "rc=1")) TH_LOG("%s", out);
}

/* The command says so, and exits 3 (HD_EXIT_NOCHANGE), when nothing changed. */
TEST(empty_patch_says_so)
{
	char tmpl[] = "/tmp/hd-diff-XXXXXX", cmd[1024], out[256] = "";
	FILE *p;
	int st;

	ASSERT_NE(NULL, mkdtemp(tmpl));
	ASSERT_EQ(0, build("whitespace_only", "old", "gcc", "O2", tmpl));
	ASSERT_EQ(0, build("whitespace_only", "new", "gcc", "O2", tmpl));
	snprintf(cmd, sizeof(cmd),
		 "userspace/hdctl diff %s/old/a.o %s/new/a.o 2>&1; echo rc=$?; rm -rf %s",
		 tmpl, tmpl, tmpl);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	st = fread(out, 1, sizeof(out) - 1, p);
	pclose(p);
	ASSERT_LT(0, st);
	EXPECT_NE(NULL, strstr(out, "nothing to patch"));
	EXPECT_NE(NULL, strstr(out, "rc=3"));
}

/* A file that is not an object is refused, by name. */
TEST(not_an_object_named)
{
	char out[256] = "";
	FILE *p;

	p = popen("userspace/hdctl diff Makefile Makefile 2>&1", "r");
	ASSERT_NE(NULL, p);
	ASSERT_LT(0, (int)fread(out, 1, sizeof(out) - 1, p));
	ASSERT_NE(0, pclose(p));
	EXPECT_NE(NULL, strstr(out, "Makefile: not an ELF file"));
}

TEST_HARNESS_MAIN
