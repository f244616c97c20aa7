#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Documentation/hdctl.8 matches the help text: every command that "hdctl
# help" lists and every option that a command's synopsis names appears
# in the man page.
. "$(dirname "$0")/tap.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$ROOT/Documentation/hdctl.8

cmds=$("$HDCTL" help | awk '/^Commands:/ { on = 1; next }
	on && /^  [a-z]/ { print $1 }')
# The man page as text, roff escapes of '-' undone.
text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$MAN")

documented_cmd()
{
	echo "$text" | grep -q "^\.B hdctl $1\b\|^\.B hdctl $1$" ||
		{ echo "no '.B hdctl $1' entry in hdctl.8"; return 1; }
}

# The man page's entry of a command: from its ".B hdctl CMD" line to the
# next command's or section's.
entry()
{
	echo "$text" | awk -v c="$1" '/^\.SH/ { on = 0 }
		/^\.B hdctl [a-z]/ { on = ($3 == c) } on'
}

documented_opts()
{
	local cmd=$1 o missing= sec
	sec=$(entry "$cmd")
	for o in $("$HDCTL" help "$cmd" | awk '/^Usage:/ { on = 1 }
		on && !/^Usage:/ && !/^ / { exit } on' | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		echo "$sec" | grep -qF -- "$o" || missing="$missing $o"
	done
	[ -z "$missing" ] || { echo "hdctl $cmd: not in its entry of hdctl.8:$missing"; return 1; }
}

n=0
for c in $cmds; do n=$((n + 2)); done
plan $((n + 1))
for c in $cmds; do
	ok "man_page_has_$c" documented_cmd "$c"
	ok "man_page_has_the_options_of_$c" documented_opts "$c"
done
globals() { local o; for o in --json --pretty --verbose --help --version; do echo "$text" | grep -qF -- "$o" || { echo "missing $o"; return 1; }; done; }
ok "man_page_has_the_global_options" globals
done_tap
