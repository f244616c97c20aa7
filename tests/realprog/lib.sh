# SPDX-License-Identifier: GPL-2.0
#
# Shared by tests/realprog/build-NAME (redis, nginx, httplib; build-lua
# predates it): fetch Debian's source once, build version 1 with the
# program's own build system, copy the built tree, apply NAME/fix.patch and
# let the same build system rebuild only what the fix touches.
#
# Layout, for OUT = build/realprog/NAME:
#   ~/.cache/hotdeploy/src/NAME        the unpacked Debian source (kept)
#   ~/.cache/hotdeploy/build/NAME/     the two built trees, v1/ and v2/,
#                                      reused while KEY matches
#   OUT/v1, OUT/v2    links to those trees: objects built with
#                     -ffunction-sections -fdata-sections and the program
#                     linked from them with -Wl,--emit-relocs
#   OUT/prog          the running binary: a copy of v1's program
#   OUT/objects       the objects linked into the program, relative to a
#                     tree (hdctl diff's object path)
#   OUT/binary        the program's path relative to a tree
#   OUT/version       the Debian version of the source
#   OUT/times         build times: v1 full, v2 incremental (seconds)
#   OUT/SKIP          instead of all that, why the source was not fetched
#
# The caller sets NAME (cache name), PKG (Debian source package, with
# =VERSION fallbacks in PKG_FALLBACK), and defines rp_build_v1 TREE and
# rp_build_v2 TREE (a copy of the v1 tree with the fix applied), both run
# in TREE, and rp_objects TREE (prints OUT/objects' lines) and BINARY.

rp_init() {	# OUT
	here=$(cd "$(dirname "$0")" && pwd)
	root=$(cd "$here/../.." && pwd)
	out=$1
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/hotdeploy
	src=$cache/src/$NAME
	bdir=$cache/build/$NAME
	JOBS=${JOBS:-2}
	rm -rf "$out"
	mkdir -p "$out"
}

# Fetch into the source cache once.  On failure OUT/SKIP says why, and the
# script exits 0 (the selftest skips): no network is no test failure.
rp_fetch() {
	local tmp why p got=
	[ -d "$src" ] && return 0
	mkdir -p "$cache/src"
	tmp=$(mktemp -d "$src.XXXXXX")
	# The archive's newest upload first; a mirror that lacks it may
	# still carry an older upload of the same upstream version.
	for p in "$PKG" ${PKG_FALLBACK:-}; do
		if got=$("$root/scripts/debian-source" "$p" "$tmp" 2>"$tmp.err"); then
			break
		fi
		got=
		cat "$tmp.err" >&2
		rm -rf "${tmp:?}"/*
	done
	if [ -z "$got" ]; then
		why=$(tail -n1 "$tmp.err")
		echo "Debian's source of $PKG could not be fetched: ${why#debian-source: }" >"$out/SKIP"
		echo "build-$NAME: $(cat "$out/SKIP"); the realprog_$NAME selftest will skip" >&2
		rm -rf "$tmp" "$tmp.err"
		exit 0
	fi
	# Unpacked whole before it takes the cache's name.
	mv -T "$got" "$src" 2>/dev/null || true
	rm -rf "$tmp" "$tmp.err"
}

# What the built trees depend on: a change of any rebuilds them.
rp_key() {
	{
		cat "$0" "$here/lib.sh" "$here/$NAME/fix.patch"
		dpkg-parsechangelog -l "$src/debian/changelog" -S Version
		${CC:-gcc} --version | head -n1
		${CXX:-g++} --version | head -n1
	} | sha256sum | cut -d' ' -f1
}

rp_seconds() {	# START-NS
	local end
	end=$(date +%s%N)
	awk -v a="$1" -v b="$end" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

rp_build() {
	local key t0 tv1 tv2

	rp_fetch
	# One build of NAME at a time: a second waits and reuses it.
	mkdir -p "$cache/build"
	exec 8>"$bdir.lock"
	flock 8
	key=$(rp_key)
	if [ "$(cat "$bdir/key" 2>/dev/null)" != "$key" ]; then
		rm -rf "$bdir"
		mkdir -p "$bdir"
		cp -a "$src" "$bdir/v1"
		t0=$(date +%s%N)
		(cd "$bdir/v1" && rp_build_v1 "$bdir/v1")
		tv1=$(rp_seconds "$t0")
		# The built tree, timestamps kept: make then rebuilds only
		# what the fix touches.
		cp -a "$bdir/v1" "$bdir/v2"
		patch -s -d "$bdir/v2" -p1 <"$here/$NAME/fix.patch"
		t0=$(date +%s%N)
		(cd "$bdir/v2" && rp_build_v2 "$bdir/v2")
		tv2=$(rp_seconds "$t0")
		printf 'v1 full %s s\nv2 incremental %s s\n' "$tv1" "$tv2" >"$bdir/times"
		(cd "$bdir/v1" && rp_objects) >"$bdir/objects"
		echo "$key" >"$bdir/key"
	fi
	ln -s "$bdir/v1" "$out/v1"
	ln -s "$bdir/v2" "$out/v2"
	cp "$bdir/times" "$bdir/objects" "$out/"
	echo "$BINARY" >"$out/binary"
	cp "$bdir/v1/$BINARY" "$out/prog"
	dpkg-parsechangelog -l "$src/debian/changelog" -S Version >"$out/version"
}

# Both trees' paths map to one name, so that only the fix differs.
rp_prefix_map() {
	echo "-ffile-prefix-map=$bdir/v1=$NAME -ffile-prefix-map=$bdir/v2=$NAME"
}
