# SPDX-License-Identifier: GPL-2.0
#
# make           module and hdctl
# make check     install what is missing, build, host unit tests, selftests
#                in a QEMU guest, one "N passed, N failed" line at the end
# make demo      a narrated run in a QEMU guest
# make lint      checkpatch --strict, sparse, -Werror userspace
# make bench     benchmarks against a ptrace patcher, in a QEMU guest
#                (Documentation/performance.rst); bench-smoke: a short run
# make install   module (modules_install), hdctl, its man page and bash completion

# The kernel to build for: the running one when its headers are here (a
# real host), otherwise Debian 12's (linux-image-amd64's), booted in QEMU
# by scripts/vm-run; other installed kernels only when KVER= names them
# (scripts/kernels, Documentation/testing.rst).  Evaluated once.
ifeq ($(origin KVER),undefined)
KVER := $(shell $(CURDIR)/scripts/kernels default)
endif
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(CURDIR)/build
PREFIX ?= /usr/local
# On a fresh machine no kernel is installed yet when this is read: the
# sub-makes that "deps" is followed by must look again, so an empty KVER
# is not passed down.
ifneq ($(KVER),)
export KVER
endif

CC ?= gcc
# The kselftest headers come from Debian's linux-source, fetched on demand.
KTOOLS = $(shell $(CURDIR)/scripts/kernel-tools)
# kselftest_harness.h's EXPECT_TRUE() compares an int with the operand.
TEST_CFLAGS := -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-D_GNU_SOURCE -I$(CURDIR)/include/uapi -I$(CURDIR)/tests/lib
TEST_LIBS := -lpthread

all: module hdctl

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

hdctl:
	$(MAKE) -C userspace

# Selftests: one binary per tests/selftests/hotdeploy/*.c, run in the guest.
SELFTEST_SRCS := $(wildcard tests/selftests/hotdeploy/*.c)
SELFTESTS := $(patsubst tests/selftests/hotdeploy/%.c,$(BUILD)/selftests/%,$(SELFTEST_SRCS))
# Host unit tests: one binary per tests/unit/*.c, linked with hdctl's code.
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNITS := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

# More real programs from Debian's sources, each built by
# tests/realprog/build-NAME into build/realprog/NAME/ and patched under
# load by tests/selftests/hotdeploy/realprog_NAME.c.  They take minutes
# each, so "selftests" (and "check") keep one server, nginx, the quickest
# to build: "make realprog-NAME" builds one, "make check-programs" runs
# them all.
REALPROGS := redis nginx httplib
CHECK_REALPROGS := nginx
REALPROG_TESTS := $(REALPROGS:%=$(BUILD)/selftests/realprog_%)
SELFTESTS := $(filter-out $(filter-out \
	$(CHECK_REALPROGS:%=$(BUILD)/selftests/realprog_%),$(REALPROG_TESTS)),$(SELFTESTS))
# policy sets kernel.yama.ptrace_scope to 3, which stays until a reboot:
# it runs after all the others.
SELFTESTS := $(filter-out %/policy,$(SELFTESTS)) $(filter %/policy,$(SELFTESTS))
# What scripts/run-selftests runs when told nothing (HD_* reach the guest).
export HD_SELFTESTS := $(SELFTESTS)

# Live-patch cases: programs and objects built here, patched in the guest.
LIVE_CASES := $(patsubst tests/live/%/,%,$(wildcard tests/live/*/))

selftests: $(SELFTESTS) live realprog targets $(CHECK_REALPROGS:%=realprog-%)

live: $(LIVE_CASES:%=$(BUILD)/live/%/prog)

# A real program: Debian's Lua 5.4, its source fetched once and cached
# (tests/realprog/build-lua).  Without network, build/realprog/lua/SKIP
# says why and the selftest skips.
realprog: $(BUILD)/realprog/lua/lua

$(BUILD)/realprog/lua/lua: tests/realprog/build-lua $(wildcard tests/realprog/lua/*) \
		scripts/debian-source
	tests/realprog/build-lua $(BUILD)/realprog/lua

# Sources and built trees are cached in ~/.cache/hotdeploy/; the script
# reuses them while its inputs are unchanged.
realprog-%: hdctl $(BUILD)/selftests/realprog_%
	tests/realprog/build-$* $(BUILD)/realprog/$*

.SECONDARY: $(REALPROG_TESTS)

check-programs: SHELL := /bin/bash
check-programs: deps
	$(MAKE) all
	$(MAKE) $(REALPROGS:%=realprog-%)
	@mkdir -p $(BUILD)/test-logs
	scripts/vm-run --timeout 4800 -- scripts/run-selftests $(REALPROG_TESTS) \
		2>&1 | tee $(BUILD)/test-logs/programs.log; \
		rc=$${PIPESTATUS[0]}; \
		awk -f scripts/tap-count -v extra=$$((rc != 0)) $(BUILD)/test-logs/programs.log

# tests/targets/NAME.c, built into $(BUILD)/targets/NAME/: prog from
# version 1 (the running program), v1/NAME.o and v2/NAME.o with
# -ffunction-sections -fdata-sections (hdctl diff's inputs).  The macro
# that picks the version is TARGET_VERSION_MACRO_NAME.
TARGET_NAMES := $(patsubst tests/targets/%.c,%,$(wildcard tests/targets/*.c))
TARGET_VERSION_MACRO_tcpserver := SERVER_VERSION
TARGET_VERSION_MACRO_ticker := TICKER_VERSION
TARGET_CFLAGS := -O2 -g -Wall -Werror -D_GNU_SOURCE

targets: $(TARGET_NAMES:%=$(BUILD)/targets/%/prog)

$(BUILD)/targets/%/prog: tests/targets/%.c
	@mkdir -p $(@D)/v1 $(@D)/v2
	$(CC) $(TARGET_CFLAGS) -D$(TARGET_VERSION_MACRO_$*)=1 -o $@ $< -lpthread
	for v in 1 2; do $(CC) $(TARGET_CFLAGS) -D$(TARGET_VERSION_MACRO_$*)=$$v \
		-ffunction-sections -fdata-sections -c -o $(@D)/v$$v/$*.o $< || \
		exit 1; done

.SECONDEXPANSION:
$(BUILD)/live/%/prog: $$(wildcard tests/live/$$*/*) tests/live/live_main.c tests/live/build-case
	tests/live/build-case tests/live/$* $(BUILD)/live/$*

$(BUILD)/selftests/%: tests/selftests/hotdeploy/%.c $(wildcard tests/lib/*.h) include/uapi/linux/hotdeploy.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -I$(KTOOLS)/tools/testing/selftests -o $@ $< $(TEST_LIBS)

# tcp_load reads hdctl's --json output.
$(BUILD)/selftests/tcp_load: TEST_LIBS += $(shell pkg-config --libs json-c)

# The selftests' kselftest Makefile (lib.mk) builds every test too: checked
# in a scratch directory, so build/selftests/ stays this Makefile's.
KSFT_CHECK := $(BUILD)/ksft-check

check-ksft:
	rm -rf $(KSFT_CHECK)
	$(MAKE) -C tests/selftests/hotdeploy OUTPUT=$(KSFT_CHECK)
	@for s in $(SELFTEST_SRCS); do \
		[ -x $(KSFT_CHECK)/$$(basename $$s .c) ] || { echo "$$s was" \
			"not built by tests/selftests/hotdeploy/Makefile" >&2; \
			exit 1; }; done
	rm -rf $(KSFT_CHECK)

units: $(UNITS)

# The layers each unit test links (userspace/Makefile), top first: a test
# of a lower layer cannot reach a function of a higher one.
UNIT_LAYERS_diff := diff format elf base
UNIT_LAYERS_diffbin := diff format elf base
UNIT_LAYERS_explain := apply format elf base
UNIT_LAYERS_hdp := format elf base
UNIT_LAYERS_procmaps := apply format elf base
UNIT_LAYERS_procobj := apply format elf base
UNIT_LAYERS_reloc := apply format elf base
unit_libs = $(foreach l,$(UNIT_LAYERS_$(1)),$(2)/$(l)/libhd$(l).a)
USER_LIBS := $(shell pkg-config --libs libelf libdw json-c capstone 2>/dev/null)

$(BUILD)/unit/%: tests/unit/%.c hdctl $(wildcard tests/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -I$(KTOOLS)/tools/testing/selftests -Iuserspace \
		-o $@ $< $(call unit_libs,$*,userspace) \
		$(USER_LIBS) $(TEST_LIBS)

# The same unit tests built with ASan and UBSan, linked with sanitized
# copies of the layers built here (userspace's own objects stay untouched).
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
UNITS_SAN := $(patsubst tests/unit/%.c,$(BUILD)/unit-san/%,$(UNIT_SRCS))
USER_LAYERS := base elf format diff apply
SAN := $(BUILD)/unit-san

units-san: $(UNITS_SAN)
	@rc=0; for t in $(UNITS_SAN); do $$t || rc=1; done; exit $$rc

$(SAN)/obj/%.o: userspace/%.c $(wildcard userspace/*/*.h)
	@mkdir -p $(@D)
	$(CC) -O1 -g -D_GNU_SOURCE -Iuserspace -Iinclude/uapi $(SAN_FLAGS) -c -o $@ $<

define san_layer
$(SAN)/$(1)/libhd$(1).a: $(patsubst userspace/%.c,$(SAN)/obj/%.o,$(wildcard userspace/$(1)/*.c))
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(USER_LAYERS),$(eval $(call san_layer,$(l))))

$(SAN)/%: tests/unit/%.c $(foreach l,$(USER_LAYERS),$(SAN)/$(l)/libhd$(l).a) \
		$(wildcard tests/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(SAN_FLAGS) -O1 -I$(KTOOLS)/tools/testing/selftests \
		-Iuserspace -o $@ $< $(call unit_libs,$*,$(SAN)) $(USER_LIBS) $(TEST_LIBS)

# libFuzzer on the .hdp reader (clang), seeded with the diff cases'
# patches.  "make fuzz" runs FUZZ_TIME seconds (default 600); fuzz-smoke
# 30 s, for make check.  Crashes land in $(BUILD)/fuzz/.
FUZZ_TIME ?= 600
FUZZ := $(BUILD)/fuzz/hdp_fuzz

# The reader and what it stands on: format/, elf/, base/.
FUZZ_SRCS = $(wildcard userspace/format/*.c userspace/elf/*.c userspace/base/*.c)

$(FUZZ): tests/fuzz/hdp_fuzz.c $(FUZZ_SRCS) $(wildcard userspace/*/*.h)
	@mkdir -p $(@D)
	clang -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
		-fsanitize=fuzzer,address,undefined -Iuserspace -Iinclude/uapi -o $@ \
		tests/fuzz/hdp_fuzz.c $(FUZZ_SRCS) -lelf

$(BUILD)/fuzz/seeds/.done: tests/fuzz/make-seeds $(wildcard tests/diff/*/*/*.c) | hdctl
	tests/fuzz/make-seeds $(@D)
	@touch $@

fuzz-run: $(FUZZ) $(BUILD)/fuzz/seeds/.done
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ) -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix=$(BUILD)/fuzz/ -print_final_stats=1 \
		$(BUILD)/fuzz/corpus $(BUILD)/fuzz/seeds

fuzz:
	$(MAKE) fuzz-run

fuzz-smoke:
	$(MAKE) fuzz-run FUZZ_TIME=30

# Benchmarks: targets and patches are built by tests/bench/bench itself.
$(BUILD)/bench/ptrace-patch: tests/bench/ptrace-patch.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $<

bench-tools: $(BUILD)/bench/ptrace-patch

bench: deps
	$(MAKE) all bench-tools
	tests/bench/bench

bench-smoke:
	$(MAKE) all bench-tools
	tests/bench/bench --smoke

deps:
	scripts/install-deps
	scripts/kernel-tools >/dev/null

# hdctl's layers and function lengths (README "Layout"): cheap, so part of
# check as well as lint.
check-layout:
	scripts/check-layers
	scripts/check-func-length userspace

# The module for every other kernel of scripts/kernels (their headers are
# installed if missing), each in a copy of its own (kmod/ stays KVER's),
# warning-free.
modules-all:
	@scripts/kernels headers $$(scripts/kernels list) >/dev/null
	@for k in $$(scripts/kernels installed); do \
		[ "$$k" = "$(KVER)" ] && continue; \
		echo "  MODULE  $$k"; scripts/build-module "$$k" >/dev/null || exit 1; \
	done

# Install, build (also with DKMS) and run the whole suite in a guest, on
# each kernel of KERNELS (default: all of scripts/kernels), one summary
# table at the end (Documentation/testing.rst).
check-kernels: deps
	$(MAKE) all selftests
	scripts/check-kernels $(SELFTESTS)

# make check also runs the whole suite on one other kernel, Debian 13's
# 6.12, before the default kernel's run (whose summary stays the last line).
CHECK_ALSO ?= 6.12

check: deps
	$(MAKE) all
	scripts/check-layers
	scripts/check-func-length userspace
	$(MAKE) selftests units
	$(MAKE) check-ksft
	$(MAKE) modules-all
	$(MAKE) fuzz-smoke
	$(MAKE) bench-smoke
	@rm -f $(BUILD)/check-also.failed
	KERNELS="$(CHECK_ALSO)" scripts/check-kernels $(SELFTESTS) || \
		touch $(BUILD)/check-also.failed
	scripts/run-tests
	@if [ -e $(BUILD)/check-also.failed ]; then echo "make check: the suite" \
		"failed on $(CHECK_ALSO): build/check-kernels/summary"; exit 1; fi

# The selftests on a debug kernel (KASAN, KFENCE, lockdep, UBSAN, ...),
# built once per machine from Debian's linux-source (Documentation/testing.rst).
check-debug: deps
	$(MAKE) all selftests
	scripts/check-debug

demo: deps
	$(MAKE) all targets
	scripts/demo

# Userspace and tests follow the kernel's style too, minus the advice to use
# kernel-only helpers and types (ARRAY_SIZE, __aligned, __printf, u32) and
# the macros kselftest_harness.h's own style needs (SKIP(return, ...)).
CHECKPATCH_USER_IGNORE := ARRAY_SIZE,PREFER_DEFINED_ATTRIBUTE_MACRO
CHECKPATCH_USER_IGNORE := $(CHECKPATCH_USER_IGNORE),PREFER_KERNEL_TYPES
CHECKPATCH_USER_IGNORE := $(CHECKPATCH_USER_IGNORE),MACRO_WITH_FLOW_CONTROL,LONG_LINE_STRING
CHECKPATCH_USER_IGNORE := $(CHECKPATCH_USER_IGNORE),MACRO_ARG_REUSE
# libelf's and libdw's own type names (GElf_Sym, Dwfl_Module), BIT_ULL, and
# the volatile sig_atomic_t that C requires of a flag set by a handler.
CHECKPATCH_USER_IGNORE := $(CHECKPATCH_USER_IGNORE),CAMELCASE,BIT_MACRO,VOLATILE
# HD_RETRY_OPTIONS (cmd/parse.h) is a list of struct option initializers,
# which parentheses would break; and diff.c's ambiguous() refuses with "...
# is ambiguous in ...", a word of the message, not the function's name.
CHECKPATCH_USER_IGNORE := $(CHECKPATCH_USER_IGNORE),COMPLEX_MACRO,EMBEDDED_FUNCTION_NAME
# Tests also build shell command lines in long, split strings, and define
# TEST() cases through macros, as kselftest suites do.
CHECKPATCH_TEST_IGNORE := $(CHECKPATCH_USER_IGNORE),COMPLEX_MACRO,SPLIT_STRING
CHECKPATCH_TEST_IGNORE := $(CHECKPATCH_TEST_IGNORE),LONG_LINE_STRING,REPEATED_WORD
# And they build argument vectors of run-time strings, which cannot be static.
CHECKPATCH_TEST_IGNORE := $(CHECKPATCH_TEST_IGNORE),STATIC_CONST_CHAR_ARRAY
# tests/diff/CASE/ holds input programs for hdctl diff, as bare as the case
# needs: not linted, like their old/ and new/ sources one level deeper;
# nor tests/live/cxx_*/, whose sources are C++ (checkpatch reads C).
CHECKPATCH_TEST_SRCS = $(filter-out tests/diff/% tests/live/cxx_%,$(wildcard tests/*/*.[ch] tests/*/*/*.[ch]))

KMOD_SRCS = $(filter-out %.mod.c kmod/compat.h,$(wildcard kmod/*.[ch]))
# kmod/compat.h is where the module is keyed on kernel versions, and names
# the old APIs it maps onto the new ones: only that is allowed there.
CHECKPATCH_COMPAT_IGNORE := LINUX_VERSION_CODE,CONSTANT_COMPARISON,DEPRECATED_API

lint: deps check-layout
	@mkdir -p $(BUILD)
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" modules \
		2>&1 | tee $(BUILD)/sparse.log
	@! grep -E 'warning:|error:' $(BUILD)/sparse.log
	$(KTOOLS)/scripts/checkpatch.pl --strict --no-tree --quiet \
		-f $(KMOD_SRCS) include/uapi/linux/*.h
	$(KTOOLS)/scripts/checkpatch.pl --strict --no-tree --quiet \
		--ignore $(CHECKPATCH_COMPAT_IGNORE) -f kmod/compat.h
	$(KTOOLS)/scripts/checkpatch.pl --strict --no-tree --quiet \
		--ignore $(CHECKPATCH_USER_IGNORE) -f $(wildcard userspace/*/*.[ch])
	$(KTOOLS)/scripts/checkpatch.pl --strict --no-tree --quiet \
		--ignore $(CHECKPATCH_TEST_IGNORE) -f $(CHECKPATCH_TEST_SRCS)
	$(MAKE) -C userspace clean
	$(MAKE) -C userspace
	$(MAKE) selftests units

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) modules_install
	install -D -m 0755 userspace/hdctl $(DESTDIR)$(PREFIX)/sbin/hdctl
	install -D -m 0644 Documentation/hdctl.8 $(DESTDIR)$(PREFIX)/share/man/man8/hdctl.8
	install -D -m 0644 userspace/bash-completion/hdctl \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/hdctl

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean
	rm -rf $(BUILD)

.PHONY: all module modules-all check-kernels hdctl selftests check-ksft live realprog targets units units-san \
	fuzz fuzz-run \
	fuzz-smoke bench bench-tools bench-smoke deps check check-layout check-debug demo lint \
	install clean check-programs
