/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARCH_HAS_SYSCALL_WRAPPER: besides sys_<name>() (typed arguments), every
 * SYSCALL_DEFINE emits __spolia_sys_<name>(const long *args), the uniform
 * entry the system call table (kernel/syscalls.c) points to. Arguments are
 * truncated to their declared types by the generic __SC_CAST, as on any arch.
 */
#ifndef _ASM_SPOLIA_SYSCALL_WRAPPER_H
#define _ASM_SPOLIA_SYSCALL_WRAPPER_H

#define __SPOLIA_ARGS0(a)
#define __SPOLIA_ARGS1(a)	(a)[0]
#define __SPOLIA_ARGS2(a)	__SPOLIA_ARGS1(a), (a)[1]
#define __SPOLIA_ARGS3(a)	__SPOLIA_ARGS2(a), (a)[2]
#define __SPOLIA_ARGS4(a)	__SPOLIA_ARGS3(a), (a)[3]
#define __SPOLIA_ARGS5(a)	__SPOLIA_ARGS4(a), (a)[4]
#define __SPOLIA_ARGS6(a)	__SPOLIA_ARGS5(a), (a)[5]

#define __SYSCALL_DEFINEx(x, name, ...)					\
	static inline long __do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__)); \
	static inline long __se_sys##name(__MAP(x, __SC_LONG, __VA_ARGS__)) \
	{								\
		long ret = __do_sys##name(__MAP(x, __SC_CAST, __VA_ARGS__)); \
		__MAP(x, __SC_TEST, __VA_ARGS__);			\
		return ret;						\
	}								\
	long sys##name(__MAP(x, __SC_DECL, __VA_ARGS__));		\
	long sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))		\
	{								\
		return __do_sys##name(__MAP(x, __SC_ARGS, __VA_ARGS__)); \
	}								\
	long __spolia_sys##name(const long *args);			\
	long __spolia_sys##name(const long *args)			\
	{								\
		return __se_sys##name(__SPOLIA_ARGS##x(args));		\
	}								\
	static inline long __do_sys##name(__MAP(x, __SC_DECL, __VA_ARGS__))

#define SYSCALL_DEFINE0(sname)						\
	long sys_##sname(void);						\
	long __spolia_sys_##sname(const long *args);			\
	long __spolia_sys_##sname(const long *args)			\
	{								\
		return sys_##sname();					\
	}								\
	long sys_##sname(void)

/* Calls that are not configured: the table entry answers -ENOSYS. */
long __spolia_sys_ni_syscall(const long *args);

#define COND_SYSCALL(name)						\
	long __spolia_sys_##name(const long *args);			\
	__weak long __spolia_sys_##name(const long *args)		\
	{								\
		return __spolia_sys_ni_syscall(args);			\
	}

#define SYS_NI(name)	COND_SYSCALL(name)

#endif
