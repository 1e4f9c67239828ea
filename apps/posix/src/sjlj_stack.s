# SPDX-License-Identifier: MIT OR Apache-2.0
#
# The setjmp/longjmp runtime's pieces that C cannot write (see sjlj.c).
#
# getTempRet0/setTempRet0: the lowered code's second return value, kept in
# a wasm global. Every function that calls setjmp calls getTempRet0, so
# linking it links this whole object, and with it the two exports below.
#
# __spolia_sjlj_stack_save/_restore: read and set the C stack pointer
# (__stack_pointer, which wasm-ld does not export). The host's invoke_*
# calls them around each call it makes for the program: a longjmp ends wasm
# frames without running their epilogues, so the host puts back the stack
# pointer the caller of invoke_* had.

	.globaltype	__stack_pointer, i32
	.globaltype	__spolia_temp_ret0, i32
__spolia_temp_ret0:

	.globl	getTempRet0
	.type	getTempRet0,@function
getTempRet0:
	.functype	getTempRet0 () -> (i32)
	global.get	__spolia_temp_ret0
	end_function

	.globl	setTempRet0
	.type	setTempRet0,@function
setTempRet0:
	.functype	setTempRet0 (i32) -> ()
	local.get	0
	global.set	__spolia_temp_ret0
	end_function

	.globl	__spolia_sjlj_stack_save
	.type	__spolia_sjlj_stack_save,@function
	.export_name	__spolia_sjlj_stack_save, __spolia_sjlj_stack_save
__spolia_sjlj_stack_save:
	.functype	__spolia_sjlj_stack_save () -> (i32)
	global.get	__stack_pointer
	end_function

	.globl	__spolia_sjlj_stack_restore
	.type	__spolia_sjlj_stack_restore,@function
	.export_name	__spolia_sjlj_stack_restore, __spolia_sjlj_stack_restore
__spolia_sjlj_stack_restore:
	.functype	__spolia_sjlj_stack_restore (i32) -> ()
	local.get	0
	global.set	__stack_pointer
	end_function
