#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Numbers on hdctl's command line: whole decimal (or 0x hex) numbers in
# the range the module takes, or a usage error that names the option and
# the range, before any file, process or module is touched (none of
# these exists here: x.hdp, pid 7).
. "$(dirname "$0")/tap.bash"

# accepted ARGS...: not a usage error (it fails later, for want of x.hdp
# or of the module: exit 1).
accepted()
{
	local rc
	"$HDCTL" "$@" >/dev/null 2>&1
	rc=$?
	[ $rc = 1 ] || { echo "exit $rc"; "$HDCTL" "$@"; return 1; }
}

plan 26
ok timeout_over_the_module_maximum usage_err "--timeout '70000': expected a number from 1 to 60000" apply x.hdp --pid 7 --timeout 70000
ok timeout_zero usage_err "--timeout '0'" revert --pid 7 --timeout 0
ok timeout_at_the_maximum accepted apply x.hdp --pid 7 --timeout 60000
ok wait_over_a_day usage_err "--wait '86401': expected a number from 0 to 86400" apply x.hdp --pid 7 --wait 86401
ok wait_zero accepted revert --pid 7 --wait 0
ok scan_unknown usage_err "--scan 'stacks': expected all or threads" apply x.hdp --pid 7 --scan stacks
ok scan_threads accepted revert --pid 7 --scan threads
ok retries_negative usage_err "--retries '-1': expected a number from 0 to 999" apply x.hdp --pid 7 --retries -1
ok retries_at_the_maximum accepted revert --pid 7 --retries 999
ok retries_over_the_maximum usage_err "--retries '1000'" revert --pid 7 --retries 1000
ok retry_delay_over_the_maximum usage_err "--retry-delay '10001': expected a number from 1 to 10000" apply x.hdp --pid 7 --retry-delay 10001
ok retry_delay_with_a_unit usage_err "--retry-delay '5ms'" revert --pid 7 --retry-delay 5ms
ok pid_not_a_number usage_err "--pid 'abc': expected a number" apply x.hdp --pid abc
ok pid_with_trailing_garbage usage_err "--pid '12abc'" list --pid 12abc
ok pid_zero usage_err "--pid '0'" revert --pid 0
ok pid_negative usage_err "--pid '-5'" list --pid -5
ok pid_with_leading_space usage_err "--pid ' 5'" list --pid ' 5'
ok pid_empty usage_err "--pid ''" list --pid ''
ok pid_over_pid_max usage_err "--pid '4194305'" list --pid 4194305
ok pid_overflowing usage_err "--pid '99999999999999999999999'" list --pid 99999999999999999999999
ok pid_in_hex accepted list --pid 0x10
ok leading_zero_is_decimal_not_octal accepted list --pid 09
ok hex_without_digits usage_err "--pid '0x'" list --pid 0x
ok patch_zero usage_err "--patch '0': expected a number from 1" revert --pid 7 --patch 0
ok patch_over_u64 usage_err "--patch '18446744073709551616'" revert --pid 7 --patch 18446744073709551616
ok patch_and_all_exclude_each_other usage_err "--patch and --all exclude each other" revert --pid 7 --patch 3 --all
done_tap
