#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# hdctl's command-line conventions: help for every command in the four
# ways users of git, ip and bpftool expect, usage errors on stderr with
# exit 2 naming the option, options before or after the positional
# arguments, and global options anywhere.
. "$(dirname "$0")/tap.bash"

cmds=$("$HDCTL" help | awk '/^Commands:/ { on = 1; next }
	on && /^  [a-z]/ { print $1 }')

# help_ok CMD ARGS...: exit 0, the command's usage on stdout, nothing on stderr.
help_ok()
{
	local cmd=$1 out err rc
	shift
	err=$(mktemp)
	out=$("$HDCTL" "$@" 2>"$err")
	rc=$?
	[ $rc = 0 ] || { echo "exit $rc"; return 1; }
	[ -s "$err" ] && { echo "stderr: $(cat "$err")"; rm -f "$err"; return 1; }
	rm -f "$err"
	echo "$out" | grep -q "^Usage: hdctl .*$cmd" || { echo "no usage in: $out"; return 1; }
}


# Exit status and output of a dry run that fails for want of the file.
missing_file()
{
	local out rc
	out=$("$HDCTL" "$@" 2>&1)
	rc=$?
	[ $rc = 1 ] && echo "$out" | grep -q 'no-such.hdp: No such file'
}

json_error()
{
	local out
	out=$("$HDCTL" "$@" 2>/dev/null)
	[ $? = 1 ] && echo "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert "No such file" in d["error"]'
}

n=0
for c in $cmds; do n=$((n + 4)); done
plan $((n + 12))

for c in $cmds; do
	ok "help_$c" help_ok "$c" help "$c"
	ok "${c}_--help" help_ok "$c" "$c" --help
	ok "${c}_-h" help_ok "$c" "$c" -h
	ok "${c}_unknown_option_names_itself" usage_err "unknown option '--no-such-option'" "$c" --no-such-option
done
ok "help_lists_every_command" help_ok "" help
ok "--help_lists_every_command" help_ok "" --help
ok "help_of_an_unknown_command_is_a_usage_error" usage_err "unknown command 'frobnicate'" help frobnicate
ok "no_command_is_a_usage_error" usage_err "" 
ok "unknown_global_option_names_itself" usage_err "unknown option '--frob'" --frob list
ok "short_unknown_option_names_itself" usage_err "unknown option '-Z'" apply -Z x.hdp
ok "missing_option_value_is_named" usage_err "option '--pid' needs a value" apply x.hdp --pid
ok "options_after_the_file" missing_file apply no-such.hdp --pid 1 --dry-run
ok "options_before_the_file" missing_file apply --pid 1 --dry-run no-such.hdp
ok "global_json_after_the_command" json_error apply no-such.hdp --pid 1 -j
ok "global_json_before_the_command" json_error --json apply --pid 1 no-such.hdp
ok "help_anywhere_on_the_line" help_ok apply apply no-such.hdp --pid 1 --help
done_tap
