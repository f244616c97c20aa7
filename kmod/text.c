// SPDX-License-Identifier: GPL-2.0
/*
 * Reading and rewriting the target's text.
 *
 * Writes go through access_process_vm(FOLL_FORCE | FOLL_WRITE), as
 * ptrace's PTRACE_POKETEXT does: the page gets a private copy in the
 * target (never the file's page cache), and the mapping's permissions are
 * unchanged.  Callers hold every thread of the target parked, so no thread
 * can execute or fetch the bytes while they change.
 */
#include <linux/mm.h>
#include <linux/string.h>

#include "text.h"

#define HD_JMP_OPCODE	0xe9

bool hd_jmp_reachable(unsigned long from, unsigned long to)
{
	s64 rel = (s64)(to - (from + HD_JMP_SIZE));

	return rel >= S32_MIN && rel <= S32_MAX;
}

void hd_jmp_encode(u8 insn[HD_JMP_SIZE], unsigned long from,
		   unsigned long to)
{
	s32 rel = (s32)(to - (from + HD_JMP_SIZE));

	insn[0] = HD_JMP_OPCODE;
	memcpy(&insn[1], &rel, sizeof(rel));
}

int hd_text_read(struct task_struct *t, unsigned long addr, void *buf,
		 unsigned int len)
{
	if (access_process_vm(t, addr, buf, len, FOLL_FORCE) != len)
		return -EFAULT;
	return 0;
}

static int hd_text_write(struct task_struct *t, unsigned long addr,
			 const void *buf, unsigned int len)
{
	if (access_process_vm(t, addr, (void *)buf, len,
			      FOLL_FORCE | FOLL_WRITE) != len)
		return -EFAULT;
	return 0;
}

/*
 * Replace s[i].old by s[i].new at every site (the other way round if
 * @revert), all or nothing: the bytes are verified first, and a failed
 * write puts back the sites already written.  Returns 0, -EILSEQ (bytes
 * differ) or -EFAULT with *fail the index of the site concerned.
 */
int hd_text_swap(struct task_struct *t, const struct hd_site *s,
		 unsigned int n, bool revert, unsigned int *fail)
{
	u8 cur[HD_JMP_SIZE];
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		*fail = i;
		ret = hd_text_read(t, s[i].addr, cur, sizeof(cur));
		if (ret)
			return ret;
		if (memcmp(cur, revert ? s[i].new : s[i].old, sizeof(cur)))
			return -EILSEQ;
	}
	for (i = 0; i < n; i++) {
		*fail = i;
		ret = hd_text_write(t, s[i].addr,
				    revert ? s[i].old : s[i].new, HD_JMP_SIZE);
		if (ret)
			goto undo;
	}
	return 0;

undo:
	/*
	 * These pages were just written, so they are present and private:
	 * writing them again cannot fail short of the target dying, in
	 * which case nothing runs the half-written text anyway.
	 */
	while (i--)
		hd_text_write(t, s[i].addr, revert ? s[i].new : s[i].old,
			      HD_JMP_SIZE);
	return ret;
}
