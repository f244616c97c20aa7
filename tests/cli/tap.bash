# SPDX-License-Identifier: GPL-2.0
# TAP for the shell tests of tests/cli/, in the shape kselftest prints, so
# that scripts/tap-count adds them up with the rest.
#   plan N; ok NAME CMD...; done_tap
# and the checks of hdctl the tests share.
HDCTL=${HDCTL:-$(cd "$(dirname "$0")/../.." && pwd)/userspace/hdctl}
_n=0
_failed=0

plan()
{
	echo "TAP version 13"
	echo "1..$1"
}

# ok NAME CMD...: one test, passed when CMD exits 0.
ok()
{
	local name=$1 out
	shift
	_n=$((_n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $_n $name"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok $_n $name"
		_failed=$((_failed + 1))
	fi
}

done_tap()
{
	echo "# Totals: pass:$((_n - _failed)) fail:$_failed"
	[ $_failed = 0 ]
}

# usage_err WANT ARGS...: exit 2, WANT on stderr, nothing on stdout.
usage_err()
{
	local want=$1 out err rc
	shift
	err=$(mktemp)
	out=$("$HDCTL" "$@" 2>"$err")
	rc=$?
	[ $rc = 2 ] || { echo "exit $rc"; cat "$err"; rm -f "$err"; return 1; }
	[ -z "$out" ] || { echo "stdout: $out"; rm -f "$err"; return 1; }
	grep -qF -- "$want" "$err" || { echo "no '$want' in: $(cat "$err")"; rm -f "$err"; return 1; }
	grep -q '^Usage: hdctl' "$err" || { echo "no usage line in: $(cat "$err")"; rm -f "$err"; return 1; }
	rm -f "$err"
}
