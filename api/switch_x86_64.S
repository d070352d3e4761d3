/* switch_x86_64.S — the x86-64 (System V) context switch behind api/fiber.c.
 *
 * jnet__ctx_switch(void **save_sp, void *to_sp) pushes the callee-saved
 * registers (rbp, rbx, r12-r15) and the x87 control word + MXCSR on the
 * running stack, stores rsp in *save_sp, loads to_sp and pops the same frame
 * from there (loading MXCSR and the control word only if they differ from
 * ours), then jumps to the other context's return address. Everything
 * else is caller-saved, so the C caller has already spilled what it needs.
 * No syscall, no signal mask (that is what makes swapcontext slow). The frame
 * at to_sp, from the lowest address up:
 *
 *   +0  MXCSR (4 bytes), x87 control word (2 bytes, 2 unused)
 *   +8  r15   +16 r14   +24 r13   +32 r12   +40 rbx   +48 rbp
 *   +56 return address
 *
 * fiber.c builds this frame by hand for a new coroutine, with the return
 * address set to jnet__ctx_entry, r12 = the coroutine, r13 = the C function
 * to call with it, and rsp after the return 16-byte aligned, so the `call`
 * below leaves the entry function with the alignment the ABI requires.
 */
#if defined(__x86_64__) && defined(__ELF__) && !defined(JNET_FIBER_UCONTEXT)

	.text
	.globl	jnet__ctx_switch
	.hidden	jnet__ctx_switch
	.type	jnet__ctx_switch, @function
	.p2align 4
jnet__ctx_switch:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr	(%rsp)
	fnstcw	4(%rsp)
	movq	%rsp, (%rdi)
	movq	%rsp, %rdx
	/* now on the other context's stack */
	movq	%rsi, %rsp
	/* ldmxcsr and fldcw cost more than the compares that skip them when
	 * the other context's MXCSR and control word are the ones we run
	 * with (nearly always: few programs change rounding or precision):
	 * the same state either way. */
	movl	(%rsp), %eax
	cmpl	(%rdx), %eax
	jne	1f
	movzwl	4(%rsp), %eax
	cmpw	4(%rdx), %ax
	je	2f
1:	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
2:	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	/* pop + jmp rather than ret: ret would consult the return stack buffer,
	 * which predicts a return to this context's caller and so mispredicts
	 * on every switch; the indirect-branch predictor learns the pattern
	 * (half the cost of a switch, measured by bench/fiber_bench.c). */
	popq	%rcx
	jmpq	*%rcx
	.cfi_endproc
	.size	jnet__ctx_switch, .-jnet__ctx_switch

/* First code a new coroutine runs: call r13(r12) and never come back (the C
 * entry switches away for good when the coroutine's function returns). The
 * undefined return address stops debuggers' backtraces here. */
	.globl	jnet__ctx_entry
	.hidden	jnet__ctx_entry
	.type	jnet__ctx_entry, @function
	.p2align 4
jnet__ctx_entry:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	callq	*%r13
	ud2
	.cfi_endproc
	.size	jnet__ctx_entry, .-jnet__ctx_entry

#endif

#if defined(__ELF__)
	.section .note.GNU-stack,"",@progbits
#endif
