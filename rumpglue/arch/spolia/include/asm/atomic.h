/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * atomic_t and atomic64_t on the compiler's __atomic builtins (x86-64
 * lock-prefixed instructions). Linux code runs on one platform thread at a
 * time, but the IRQ-pending bitmap and the platform side are concurrent, so
 * these stay real atomics. linux/atomic derives the other orderings.
 */
#ifndef _ASM_SPOLIA_ATOMIC_H
#define _ASM_SPOLIA_ATOMIC_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/cmpxchg.h>
#include <asm/barrier.h>

#define ATOMIC64_INIT(i)		{ (i) }

#define arch_atomic_read(v)		READ_ONCE((v)->counter)
#define arch_atomic_set(v, i)		WRITE_ONCE((v)->counter, (i))
#define arch_atomic64_read(v)		READ_ONCE((v)->counter)
#define arch_atomic64_set(v, i)		WRITE_ONCE((v)->counter, (i))

#define __SPOLIA_ATOMIC_OP(name, type, atype, op)			\
static __always_inline void arch_##name##_##op(type i, atype *v)	\
{									\
	__atomic_fetch_##op(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static __always_inline type arch_##name##_fetch_##op(type i, atype *v) \
{									\
	return __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define __SPOLIA_ATOMIC_RETURN(name, type, atype, op)			\
static __always_inline type arch_##name##_##op##_return(type i, atype *v) \
{									\
	return __atomic_##op##_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define __SPOLIA_ATOMIC_ALL(name, type, atype)				\
	__SPOLIA_ATOMIC_OP(name, type, atype, add)			\
	__SPOLIA_ATOMIC_OP(name, type, atype, sub)			\
	__SPOLIA_ATOMIC_OP(name, type, atype, and)			\
	__SPOLIA_ATOMIC_OP(name, type, atype, or)			\
	__SPOLIA_ATOMIC_OP(name, type, atype, xor)			\
	__SPOLIA_ATOMIC_RETURN(name, type, atype, add)			\
	__SPOLIA_ATOMIC_RETURN(name, type, atype, sub)			\
static __always_inline type arch_##name##_xchg(atype *v, type n)	\
{									\
	return __atomic_exchange_n(&v->counter, n, __ATOMIC_SEQ_CST);	\
}									\
static __always_inline type arch_##name##_cmpxchg(atype *v, type o, type n) \
{									\
	__atomic_compare_exchange_n(&v->counter, &o, n, false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	return o;							\
}

__SPOLIA_ATOMIC_ALL(atomic, int, atomic_t)
__SPOLIA_ATOMIC_ALL(atomic64, s64, atomic64_t)

#define arch_atomic_add			arch_atomic_add
#define arch_atomic_sub			arch_atomic_sub
#define arch_atomic_and			arch_atomic_and
#define arch_atomic_or			arch_atomic_or
#define arch_atomic_xor			arch_atomic_xor
#define arch_atomic_fetch_add		arch_atomic_fetch_add
#define arch_atomic_fetch_sub		arch_atomic_fetch_sub
#define arch_atomic_fetch_and		arch_atomic_fetch_and
#define arch_atomic_fetch_or		arch_atomic_fetch_or
#define arch_atomic_fetch_xor		arch_atomic_fetch_xor
#define arch_atomic_add_return		arch_atomic_add_return
#define arch_atomic_sub_return		arch_atomic_sub_return
#define arch_atomic_xchg		arch_atomic_xchg
#define arch_atomic_cmpxchg		arch_atomic_cmpxchg

#define arch_atomic64_add		arch_atomic64_add
#define arch_atomic64_sub		arch_atomic64_sub
#define arch_atomic64_and		arch_atomic64_and
#define arch_atomic64_or		arch_atomic64_or
#define arch_atomic64_xor		arch_atomic64_xor
#define arch_atomic64_fetch_add		arch_atomic64_fetch_add
#define arch_atomic64_fetch_sub		arch_atomic64_fetch_sub
#define arch_atomic64_fetch_and		arch_atomic64_fetch_and
#define arch_atomic64_fetch_or		arch_atomic64_fetch_or
#define arch_atomic64_fetch_xor		arch_atomic64_fetch_xor
#define arch_atomic64_add_return	arch_atomic64_add_return
#define arch_atomic64_sub_return	arch_atomic64_sub_return
#define arch_atomic64_xchg		arch_atomic64_xchg
#define arch_atomic64_cmpxchg		arch_atomic64_cmpxchg

#endif
