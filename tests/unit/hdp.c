// SPDX-License-Identifier: GPL-2.0
/*
 * The .hdp round trip: each accepted case of tests/diff/ is diffed into a
 * patch for a target linked from its old source; hdctl info --json must
 * show exactly the expected functions, at the target's addresses, with
 * the hash of the target's bytes, and readelf must accept the file.
 * Then the reader is fed every truncation and thousands of corruptions
 * of a real patch: it refuses or accepts, never crashes (run under
 * make units-san for the proof that nothing is read out of bounds).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "format/hdp.h"

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Output of a shell command, NUL-terminated, or NULL. */
static char *capture(const char *cmd)
{
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap);
	FILE *p = popen(cmd, "r");

	if (!p || !buf) {
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + n, 1, cap - 1 - n, p)) > 0)
		n += r;
	buf[n] = 0;
	if (pclose(p)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Whether FUNC is listed in the case's expected file (as FILE.o:FUNC,
 * "expected.CC-OPT" first), and its source file ("b.c") in @src.
 */
static int expected_has(const char *c, const char *cc, const char *opt,
			const char *func, int *count, char *src)
{
	char path[256], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "tests/diff/%s/expected.%s-%s", c, cc, opt);
	f = fopen(path, "r");
	if (!f) {
		snprintf(path, sizeof(path), "tests/diff/%s/expected", c);
		f = fopen(path, "r");
	}
	if (!f)
		return -1;
	*count = 0;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		line[strcspn(line, "\n")] = 0;
		if (!colon)
			continue;
		(*count)++;
		if (!strcmp(colon + 1, func)) {
			found = 1;
			snprintf(src, 64, "%.*s.c", (int)(strcspn(line, ".")),
				 line);
		}
	}
	fclose(f);
	return found;
}

/*
 * Address of FUNC in the target by readelf: a local one after the FILE
 * symbol of its source @src, or the global one.
 */
static unsigned long long sym_addr(const char *target, const char *func,
				   const char *src)
{
	char cmd[2048], *out;
	unsigned long long a = 0;

	snprintf(cmd, sizeof(cmd),
		 "readelf -sW %s | awk '$4 == \"FILE\" { f = $8 } "
		 "$8 == \"%s\" && (($5 == \"LOCAL\" && f == \"%s\") || "
		 "$5 == \"GLOBAL\") { print $2; exit }'", target, func, src);
	out = capture(cmd);
	if (out)
		a = strtoull(out, NULL, 16);
	free(out);
	return a;
}

static int roundtrip(struct __test_metadata *_metadata, const char *c,
		     const char *cc, const char *opt)
{
	char dir[] = "/tmp/hd-hdp-XXXXXX", cmd[1024], *out;
	struct json_object *o = NULL, *funcs;
	int bad = 0, want = 0;
	size_t i;

	if (!mkdtemp(dir))
		return 1;
	if (run("tests/diff/build-case %s %s %s %s", c, cc, opt, dir) ||
	    run("userspace/hdctl diff --target %s/target -o %s/fix.hdp %s/old/*.o %s/new/*.o >/dev/null",
		dir, dir, dir, dir)) {
		TH_LOG("%s %s-%s: build or diff failed", c, cc, opt);
		bad++;
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "userspace/hdctl -j info %s/fix.hdp", dir);
	out = capture(cmd);
	o = out ? json_tokener_parse(out) : NULL;
	free(out);
	if (!o || !json_object_object_get_ex(o, "functions", &funcs)) {
		TH_LOG("%s %s-%s: info gave no functions", c, cc, opt);
		bad++;
		goto out;
	}
	for (i = 0; i < json_object_array_length(funcs); i++) {
		struct json_object *f = json_object_array_get_idx(funcs, i), *v;
		const char *name;
		char src[64] = "";
		int n = 0;

		json_object_object_get_ex(f, "name", &v);
		name = json_object_get_string(v);
		if (expected_has(c, cc, opt, name, &n, src) != 1) {
			TH_LOG("%s %s-%s: %s in the patch, not expected", c, cc,
			       opt, name);
			bad++;
		}
		want = n;
		json_object_object_get_ex(f, "new", &v);
		if (json_object_get_boolean(v))
			continue;
		/* The address is the target's own, the hash its bytes'. */
		json_object_object_get_ex(f, "old_addr", &v);
		snprintf(cmd, sizeof(cmd), "%s/target", dir);
		if ((unsigned long long)json_object_get_uint64(v) !=
		    sym_addr(cmd, name, src)) {
			TH_LOG("%s %s-%s: %s at the wrong address", c, cc, opt, name);
			bad++;
		}
	}
	if ((int)json_object_array_length(funcs) != want) {
		TH_LOG("%s %s-%s: %zu functions, expected %d", c, cc, opt,
		       json_object_array_length(funcs), want);
		bad++;
	}
	/* readelf reads it without a complaint. */
	if (run("readelf -aW %s/fix.hdp 2>&1 >/dev/null | grep -q . && exit 1 || exit 0",
		dir)) {
		TH_LOG("%s %s-%s: readelf complains", c, cc, opt);
		bad++;
	}
out:
	json_object_put(o);
	run("rm -rf %s", dir);
	return bad;
}

static int roundtrip_all(struct __test_metadata *_metadata, const char *c)
{
	return roundtrip(_metadata, c, "gcc", "O0") +
	       roundtrip(_metadata, c, "gcc", "O2") +
	       roundtrip(_metadata, c, "clang", "O0") +
	       roundtrip(_metadata, c, "clang", "O2");
}

#define RT_CASE(name) \
	TEST(roundtrip_##name) { ASSERT_EQ(0, roundtrip_all(_metadata, #name)); }

RT_CASE(body_change)
RT_CASE(new_function)
RT_CASE(new_static_helper)
RT_CASE(static_clash)
RT_CASE(new_string)
RT_CASE(new_global)
RT_CASE(static_local)
RT_CASE(inlined_callee)
RT_CASE(changed_const_all_users)

/* What apply needs: where each reference resolves. */
TEST(resolution_kinds)
{
	char dir[] = "/tmp/hd-hdp-XXXXXX", cmd[512], *out;

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, run("tests/diff/build-case new_global gcc O2 %s", dir));
	ASSERT_EQ(0, run("userspace/hdctl diff --target %s/target -o %s/g.hdp %s/old/a.o %s/new/a.o >/dev/null",
			 dir, dir, dir, dir));
	snprintf(cmd, sizeof(cmd), "userspace/hdctl info %s/g.hdp", dir);
	out = capture(cmd);
	ASSERT_NE(NULL, out);
	/* The existing global stays the target's; the new one is ours. */
	EXPECT_NE(NULL, strstr(out, "target   hits at 0x"));
	EXPECT_EQ(NULL, strstr(out, "misses at"));
	free(out);
	EXPECT_EQ(0, run("readelf -sW %s/g.hdp | grep -Eq 'OBJECT +GLOBAL +DEFAULT +[0-9]+ misses$'",
			 dir));
	ASSERT_EQ(0, run("tests/diff/build-case new_string clang O2 %s/s", dir));
	ASSERT_EQ(0, run("userspace/hdctl diff --target %s/s/target -o %s/s.hdp %s/s/old/a.o %s/s/new/a.o >/dev/null",
			 dir, dir, dir, dir));
	snprintf(cmd, sizeof(cmd), "userspace/hdctl info %s/s.hdp", dir);
	out = capture(cmd);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "shlib    printf"));
	free(out);
	run("rm -rf %s", dir);
}

/* A patch made for one build is refused for a target without the symbol. */
TEST(target_mismatch_named)
{
	char dir[] = "/tmp/hd-hdp-XXXXXX", cmd[512], *out;

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, run("tests/diff/build-case body_change gcc O2 %s", dir));
	ASSERT_EQ(0, run("printf 'int main(void)\\n{\\n\\treturn 0;\\n}\\n' > %s/m.c && gcc -o %s/other %s/m.c",
			 dir, dir, dir));
	snprintf(cmd, sizeof(cmd),
		 "userspace/hdctl diff --target %s/other -o %s/x.hdp %s/old/a.o %s/new/a.o 2>&1; true",
		 dir, dir, dir, dir);
	out = capture(cmd);
	ASSERT_NE(NULL, out);
	EXPECT_NE(NULL, strstr(out, "work is not in the target"));
	free(out);
	EXPECT_NE(0, access("x.hdp", F_OK));
	run("rm -rf %s", dir);
}

static void *make_patch(const char *dir, size_t *len)
{
	char path[256];
	struct stat st;
	void *buf;
	int fd;

	if (run("tests/diff/build-case new_function gcc O2 %s", dir) ||
	    run("userspace/hdctl diff --target %s/target -o %s/p.hdp %s/old/a.o %s/new/a.o >/dev/null",
		dir, dir, dir, dir))
		return NULL;
	snprintf(path, sizeof(path), "%s/p.hdp", dir);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		return NULL;
	buf = malloc(st.st_size);
	if (buf && read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		buf = NULL;
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

/* Every proper prefix of a patch is refused, with a reason. */
TEST(truncated_refused)
{
	char dir[] = "/tmp/hd-hdp-XXXXXX";
	struct hd_error err;
	struct hdp_file f;
	size_t len, n;
	uint8_t *buf;

	ASSERT_NE(NULL, mkdtemp(dir));
	buf = make_patch(dir, &len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, hdp_parse(buf, len, &f, &err));
	EXPECT_EQ(2, f.nfuncs);
	hdp_release(&f);
	for (n = 0; n < len; n++) {
		uint8_t *copy = malloc(n + 1);

		/* An exact-size copy, so ASan sees any read past the end. */
		memcpy(copy, buf, n);
		err.msg[0] = 0;
		if (!hdp_parse(copy, n, &f, &err)) {
			hdp_release(&f);
			TH_LOG("prefix of %zu of %zu bytes accepted", n, len);
			free(copy);
			ASSERT_TRUE(0);
		}
		ASSERT_NE(0, err.msg[0]);
		free(copy);
	}
	free(buf);
	run("rm -rf %s", dir);
}

/* Random corruption: no crash; a wrong format version is named. */
TEST(corrupted_never_crashes)
{
	char dir[] = "/tmp/hd-hdp-XXXXXX";
	struct hd_error err;
	size_t len, i, refused = 0;
	struct hdp_file f;
	uint8_t *buf, *copy;
	unsigned int seed = 1;

	ASSERT_NE(NULL, mkdtemp(dir));
	buf = make_patch(dir, &len);
	ASSERT_NE(NULL, buf);
	copy = malloc(len);
	for (i = 0; i < 20000; i++) {
		int k, flips = 1 + rand_r(&seed) % 4;

		memcpy(copy, buf, len);
		for (k = 0; k < flips; k++)
			copy[rand_r(&seed) % len] ^= 1 << (rand_r(&seed) % 8);
		if (hdp_parse(copy, len, &f, &err))
			refused++;
		else
			hdp_release(&f);
	}
	TH_LOG("%zu of 20000 corruptions refused", refused);
	EXPECT_LT(0, refused);
	/* The version note's payload: find it and bump it. */
	memcpy(copy, buf, len);
	for (i = 0; i + 16 < len; i++)
		if (!memcmp(copy + i, "hotdeploy\0\0\0\1\0\0\0", 16))
			break;
	ASSERT_GT(len, i + 16);
	copy[i + 12] = 9;
	ASSERT_NE(0, hdp_parse(copy, len, &f, &err));
	EXPECT_NE(NULL, strstr(err.msg, "format version 9"));
	free(copy);
	free(buf);
	run("rm -rf %s", dir);
}

/* Two changed names of one function (an alias): one redirect. */
TEST(aliases_are_redirected_once)
{
	char dir[] = "/tmp/hd-hdp-XXXXXX", cmd[1024], *out;
	struct json_object *o = NULL, *funcs;

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, run("tests/diff/build-case alias_changed gcc O2 %s", dir));
	ASSERT_EQ(0, run("userspace/hdctl diff --target %s/target -o %s/fix.hdp %s/old/a.o %s/new/a.o >/dev/null",
			 dir, dir, dir, dir));
	snprintf(cmd, sizeof(cmd), "userspace/hdctl -j info %s/fix.hdp", dir);
	out = capture(cmd);
	o = out ? json_tokener_parse(out) : NULL;
	free(out);
	ASSERT_TRUE(o && json_object_object_get_ex(o, "functions", &funcs));
	EXPECT_EQ(1, json_object_array_length(funcs));
	json_object_put(o);
	run("rm -rf %s", dir);
}

TEST_HARNESS_MAIN
