/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The code a patch with unwind tables enters through, copied into the
 * patch by apply/unwind.c (position-independent: it refers only to the
 * descriptor after it).  Each redirect goes to a 32-byte entry that
 * jumps straight to the new function once the tables are registered,
 * and before that here, with the function in %r11.  Here, once per
 * process, the first thread to arrive calls the process's own
 * __register_frame_info() on each table; a thread that arrives meanwhile
 * waits for it, as the unwinder could not yet pass the new frames.
 *
 * The state word (in the patch's data): 0, then the registering thread's
 * id, then HD_UNWIND_DONE.  The same thread arriving again (a signal
 * handler inside the registration) goes on without waiting; a thread
 * that waits on an owner that does not exist in its process (the child
 * of a fork made during the registration) takes its place.
 *
 * Every register the function may take an argument in is kept: the
 * general ones (rdi, rsi, rdx, rcx, r8, r9; rax for varargs, r10 the
 * static chain) and the whole extended state, saved with xsave (x87, SSE,
 * AVX, AVX-512: vector arguments of any width, the control words), or
 * fxsave on a CPU without it; the callee-saved ones used are restored.
 */
#define HD_UNWIND_DONE		0x80000000
#define SYS_getpid		39
#define SYS_gettid		186
#define SYS_futex		202
#define SYS_tgkill		234
#define FUTEX_WAIT_PRIVATE	128
#define FUTEX_WAKE_PRIVATE	129
#define ESRCH			3

/* The descriptor after the code: written by apply/unwind.c. */
#define DESC_STATE		0	/* address of the state word */
#define DESC_REGISTER		8	/* __register_frame_info */
#define DESC_COUNT		16	/* tables */
#define DESC_TABLES		24	/* (eh_frame, struct object) pairs */

	.section .rodata.hd_unwind_entry, "a"
	.globl hd_unwind_entry_code, hd_unwind_entry_desc
hd_unwind_entry_code:
	push	%rbp
	mov	%rsp, %rbp
	sub	$0x80, %rsp
	and	$-64, %rsp
	mov	%rax, 0x00(%rsp)
	mov	%rdi, 0x08(%rsp)
	mov	%rsi, 0x10(%rsp)
	mov	%rdx, 0x18(%rsp)
	mov	%rcx, 0x20(%rsp)
	mov	%r8, 0x28(%rsp)
	mov	%r9, 0x30(%rsp)
	mov	%r10, 0x38(%rsp)
	mov	%r11, 0x40(%rsp)
	mov	%rbx, 0x48(%rsp)
	mov	%r12, 0x50(%rsp)
	mov	%r13, 0x58(%rsp)
	mov	%r14, 0x60(%rsp)
	mov	%r15, 0x68(%rsp)
	mov	%rsp, %r12		/* the general registers */

	/* The extended state, below them: xsave if the OS enabled it. */
	mov	$1, %eax
	cpuid
	xor	%r13d, %r13d		/* 0: fxsave, 1: xsave */
	mov	$512, %r14d
	bt	$27, %ecx		/* OSXSAVE */
	jnc	1f
	mov	$0xd, %eax
	xor	%ecx, %ecx
	cpuid				/* ebx: the size XCR0's features need */
	mov	%ebx, %r14d
	mov	$1, %r13d
1:	sub	%r14, %rsp
	and	$-64, %rsp
	test	%r13d, %r13d
	jz	2f
	/* The header bytes xsave does not write must be zero for xrstor. */
	xor	%eax, %eax
	mov	$8, %ecx
3:	mov	%rax, 504(%rsp, %rcx, 8)
	loop	3b
	mov	$-1, %eax
	mov	$-1, %edx
	xsave	(%rsp)
	jmp	4f
2:	fxsave	(%rsp)
4:
	lea	desc(%rip), %rax
	mov	DESC_STATE(%rax), %r15
	mov	$SYS_gettid, %eax
	syscall
	mov	%eax, %r14d
claim:
	xor	%eax, %eax
	mov	%r14d, %ecx
	lock cmpxchg %ecx, (%r15)
	je	register
	cmp	$HD_UNWIND_DONE, %eax
	je	done
	cmp	%r14d, %eax
	je	done
	/* Another thread registers: wait for it, 10 ms at a time. */
	mov	%eax, %ebx
	sub	$16, %rsp
	movq	$0, 0(%rsp)
	movq	$10000000, 8(%rsp)
	mov	%r15, %rdi
	mov	$FUTEX_WAIT_PRIVATE, %esi
	mov	%ebx, %edx
	mov	%rsp, %r10
	mov	$SYS_futex, %eax
	syscall
	add	$16, %rsp
	cmp	(%r15), %ebx
	jne	claim
	/* Still that thread: does it exist in this process? */
	mov	$SYS_getpid, %eax
	syscall
	mov	%eax, %edi
	mov	%ebx, %esi
	xor	%edx, %edx
	mov	$SYS_tgkill, %eax
	syscall
	cmp	$-ESRCH, %rax
	jne	claim
	mov	%ebx, %eax
	mov	%r14d, %ecx
	lock cmpxchg %ecx, (%r15)
	jne	claim
register:
	lea	desc(%rip), %r14
	mov	DESC_COUNT(%r14), %rbx
	lea	DESC_TABLES(%r14), %r14
5:	test	%rbx, %rbx
	jz	6f
	mov	0(%r14), %rdi
	mov	8(%r14), %rsi
	lea	desc(%rip), %rax
	call	*DESC_REGISTER(%rax)
	add	$16, %r14
	dec	%rbx
	jmp	5b
6:	movl	$HD_UNWIND_DONE, (%r15)
	mov	%r15, %rdi
	mov	$FUTEX_WAKE_PRIVATE, %esi
	mov	$0x7fffffff, %edx
	mov	$SYS_futex, %eax
	syscall
done:
	test	%r13d, %r13d
	jz	7f
	mov	$-1, %eax
	mov	$-1, %edx
	xrstor	(%rsp)
	jmp	8f
7:	fxrstor	(%rsp)
8:	mov	%r12, %rsp
	mov	0x00(%rsp), %rax
	mov	0x08(%rsp), %rdi
	mov	0x10(%rsp), %rsi
	mov	0x18(%rsp), %rdx
	mov	0x20(%rsp), %rcx
	mov	0x28(%rsp), %r8
	mov	0x30(%rsp), %r9
	mov	0x38(%rsp), %r10
	mov	0x40(%rsp), %r11
	mov	0x48(%rsp), %rbx
	mov	0x50(%rsp), %r12
	mov	0x58(%rsp), %r13
	mov	0x60(%rsp), %r14
	mov	0x68(%rsp), %r15
	mov	%rbp, %rsp
	pop	%rbp
	jmp	*%r11
	.balign	8
desc:
hd_unwind_entry_desc:

	.section .note.GNU-stack, "", @progbits
