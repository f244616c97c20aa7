#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The bash completion of hdctl (userspace/bash-completion/hdctl): source
# it, complete a few command lines the way bash would, check the words
# offered.
. "$(dirname "$0")/tap.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/userspace/bash-completion/hdctl"

# complete_line "WORDS..." : COMPREPLY for the last word of the line (an
# empty last word when the line ends with a space).
complete_line()
{
	local line=$1
	read -ra COMP_WORDS <<<"$line"
	COMP_WORDS[0]=$HDCTL
	[[ $line == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_hdctl
}

# offers "LINE" WORD...: every WORD is among the completions.
offers()
{
	local line=$1 w
	shift
	complete_line "$line"
	for w in "$@"; do
		printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$w" ||
			{ echo "'$line' offers: ${COMPREPLY[*]}; missing $w"; return 1; }
	done
}

# only "LINE" WORD...: exactly these completions, in any order.
only()
{
	local line=$1 got want
	shift
	complete_line "$line"
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort -u)
	want=$(printf '%s\n' "$@" | sort -u)
	[ "$got" = "$want" ] || { echo "'$line' offers: ${COMPREPLY[*]}; want $*"; return 1; }
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $sleeper 2>/dev/null' EXIT
touch "$tmp/fix.hdp" "$tmp/notes.txt"
sleep 60 & sleeper=$!

plan 9
ok "commands" only "hdctl " diff info apply list revert version help
ok "command_prefix" only "hdctl re" revert
ok "global_option_then_command" only "hdctl -j li" list
ok "apply_options" offers "hdctl apply --" --pid --wait --scan --retries --retry-delay --timeout --force --dry-run --stats --save-image --help --json
ok "revert_options" offers "hdctl revert --" --pid --patch --all --force --wait --scan --retries
ok "pid_from_running_processes" offers "hdctl apply x.hdp --pid " "$sleeper"
ok "apply_offers_hdp_files_only" only "hdctl apply $tmp/" "$tmp/fix.hdp"
ok "help_offers_commands" offers "hdctl help " apply diff
ok "diff_options" offers "hdctl diff -" --explain --target
done_tap
