/* regs_survive.S — test helper for test_fiber.c: does a call preserve every
 * callee-saved register?
 *
 * int regs_survive(void (*fn)(void), uint64_t magic) loads magic+k into each
 * callee-saved register (x86-64: rbx, rbp, r12-r15; AArch64: x19-x28,
 * d8-d15), calls fn, and returns 1 if all of them still hold their values
 * afterwards, else 0. Both sides of a fiber switch run it with different
 * magics, so a switch that fails to restore a register shows the other
 * side's value.
 */
#if defined(__x86_64__) && defined(__ELF__)

	.text
	.globl	regs_survive
	.type	regs_survive, @function
	.p2align 4
regs_survive:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rsi		/* magic, for after the call */
	movq	%rsi, %rbx
	leaq	1(%rsi), %rbp
	leaq	2(%rsi), %r12
	leaq	3(%rsi), %r13
	leaq	4(%rsi), %r14
	leaq	5(%rsi), %r15
	callq	*%rdi		/* rsp is 16-byte aligned here */
	popq	%rsi
	xorl	%eax, %eax
	cmpq	%rsi, %rbx
	jne	1f
	leaq	1(%rsi), %rcx
	cmpq	%rcx, %rbp
	jne	1f
	leaq	2(%rsi), %rcx
	cmpq	%rcx, %r12
	jne	1f
	leaq	3(%rsi), %rcx
	cmpq	%rcx, %r13
	jne	1f
	leaq	4(%rsi), %rcx
	cmpq	%rcx, %r14
	jne	1f
	leaq	5(%rsi), %rcx
	cmpq	%rcx, %r15
	jne	1f
	movl	$1, %eax
1:	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	regs_survive, .-regs_survive

#elif defined(__aarch64__) && defined(__ELF__)

	.macro	set_x reg, k
	add	\reg, x1, #\k
	.endm
	.macro	set_d reg, k
	add	x9, x1, #\k
	fmov	\reg, x9
	.endm
	.macro	check_x reg, k
	add	x9, x1, #\k
	cmp	\reg, x9
	b.ne	1f
	.endm
	.macro	check_d reg, k
	add	x9, x1, #\k
	fmov	x10, \reg
	cmp	x10, x9
	b.ne	1f
	.endm

	.text
	.globl	regs_survive
	.type	regs_survive, %function
	.p2align 4
regs_survive:
	stp	x29, x30, [sp, #-176]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	str	x1, [sp, #160]		/* magic, for after the call */
	set_x	x19, 1
	set_x	x20, 2
	set_x	x21, 3
	set_x	x22, 4
	set_x	x23, 5
	set_x	x24, 6
	set_x	x25, 7
	set_x	x26, 8
	set_x	x27, 9
	set_x	x28, 10
	set_d	d8, 11
	set_d	d9, 12
	set_d	d10, 13
	set_d	d11, 14
	set_d	d12, 15
	set_d	d13, 16
	set_d	d14, 17
	set_d	d15, 18
	blr	x0
	ldr	x1, [sp, #160]
	mov	x0, #0
	check_x	x19, 1
	check_x	x20, 2
	check_x	x21, 3
	check_x	x22, 4
	check_x	x23, 5
	check_x	x24, 6
	check_x	x25, 7
	check_x	x26, 8
	check_x	x27, 9
	check_x	x28, 10
	check_d	d8, 11
	check_d	d9, 12
	check_d	d10, 13
	check_d	d11, 14
	check_d	d12, 15
	check_d	d13, 16
	check_d	d14, 17
	check_d	d15, 18
	mov	x0, #1
1:	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #176
	ret
	.size	regs_survive, .-regs_survive

#endif

#if defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
