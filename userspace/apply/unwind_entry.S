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
 * Every argument register is kept (rdi, rsi, rdx, rcx, r8, r9; rax for
 * varargs, r10 the static chain, xmm0-7), and the callee-saved ones used.
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
	and	$-16, %rsp
	sub	$0x100, %rsp
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
	movdqu	%xmm0, 0x80(%rsp)
	movdqu	%xmm1, 0x90(%rsp)
	movdqu	%xmm2, 0xa0(%rsp)
	movdqu	%xmm3, 0xb0(%rsp)
	movdqu	%xmm4, 0xc0(%rsp)
	movdqu	%xmm5, 0xd0(%rsp)
	movdqu	%xmm6, 0xe0(%rsp)
	movdqu	%xmm7, 0xf0(%rsp)

	lea	desc(%rip), %r12
	mov	DESC_STATE(%r12), %r13
	mov	$SYS_gettid, %eax
	syscall
	mov	%eax, %r14d
claim:
	xor	%eax, %eax
	mov	%r14d, %ecx
	lock cmpxchg %ecx, (%r13)
	je	register
	cmp	$HD_UNWIND_DONE, %eax
	je	done
	cmp	%r14d, %eax
	je	done
	/* Another thread registers: wait for it, 10 ms at a time. */
	mov	%eax, %ebx
	movq	$0, 0x70(%rsp)
	movq	$10000000, 0x78(%rsp)
	mov	%r13, %rdi
	mov	$FUTEX_WAIT_PRIVATE, %esi
	mov	%ebx, %edx
	lea	0x70(%rsp), %r10
	mov	$SYS_futex, %eax
	syscall
	cmp	(%r13), %ebx
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
	lock cmpxchg %ecx, (%r13)
	jne	claim
register:
	mov	DESC_REGISTER(%r12), %r15
	mov	DESC_COUNT(%r12), %rbx
	lea	DESC_TABLES(%r12), %r12
1:	test	%rbx, %rbx
	jz	2f
	mov	0(%r12), %rdi
	mov	8(%r12), %rsi
	call	*%r15
	add	$16, %r12
	dec	%rbx
	jmp	1b
2:	movl	$HD_UNWIND_DONE, (%r13)
	mov	%r13, %rdi
	mov	$FUTEX_WAKE_PRIVATE, %esi
	mov	$0x7fffffff, %edx
	mov	$SYS_futex, %eax
	syscall
done:
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
	movdqu	0x80(%rsp), %xmm0
	movdqu	0x90(%rsp), %xmm1
	movdqu	0xa0(%rsp), %xmm2
	movdqu	0xb0(%rsp), %xmm3
	movdqu	0xc0(%rsp), %xmm4
	movdqu	0xd0(%rsp), %xmm5
	movdqu	0xe0(%rsp), %xmm6
	movdqu	0xf0(%rsp), %xmm7
	mov	%rbp, %rsp
	pop	%rbp
	jmp	*%r11
	.balign	8
desc:
hd_unwind_entry_desc:

	.section .note.GNU-stack, "", @progbits
