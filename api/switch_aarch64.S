/* switch_aarch64.S — the AArch64 (AAPCS64) context switch behind api/fiber.c.
 *
 * jnet__ctx_switch(void **save_sp, void *to_sp) stores the callee-saved
 * registers x19-x28, the frame pointer x29, the link register x30 and the
 * low halves d8-d15 of v8-v15, and FPCR (rounding mode: each context keeps
 * its own, as on x86-64) in a 176-byte frame on the running stack, stores sp
 * in *save_sp, loads to_sp, reloads the same frame from there and returns
 * through the reloaded x30 into the other context. The frame:
 *
 *   +0 x19 x20  +16 x21 x22  +32 x23 x24  +48 x25 x26  +64 x27 x28
 *   +80 x29 x30  +96 d8 d9  +112 d10 d11  +128 d12 d13  +144 d14 d15
 *   +160 FPCR  +168 unused
 *
 * fiber.c builds this frame by hand for a new coroutine: x30 =
 * jnet__ctx_entry, x19 = the coroutine, x20 = the C function to call with
 * it, x29 = 0, and sp 16-byte aligned once the frame is popped.
 */
#if defined(__aarch64__) && defined(__ELF__) && !defined(JNET_FIBER_UCONTEXT)

	.text
	.globl	jnet__ctx_switch
	.hidden	jnet__ctx_switch
	.type	jnet__ctx_switch, %function
	.p2align 4
jnet__ctx_switch:
	.cfi_startproc
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]
	mov	x9, sp
	str	x9, [x0]
	/* now on the other context's stack */
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldr	x9, [sp, #160]
	msr	fpcr, x9
	add	sp, sp, #176
	ret
	.cfi_endproc
	.size	jnet__ctx_switch, .-jnet__ctx_switch

/* First code a new coroutine runs: call x20(x19) and never come back (the C
 * entry switches away for good when the coroutine's function returns). */
	.globl	jnet__ctx_entry
	.hidden	jnet__ctx_entry
	.type	jnet__ctx_entry, %function
	.p2align 4
jnet__ctx_entry:
	.cfi_startproc
	.cfi_undefined x30
	mov	x0, x19
	blr	x20
	brk	#0
	.cfi_endproc
	.size	jnet__ctx_entry, .-jnet__ctx_entry

#endif

#if defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
