/* SPDX-License-Identifier: GPL-2.0 */
/* atomic_t and atomic64_t on the compiler's atomic builtins (lock-prefixed). */
#ifndef _ASM_L4_ATOMIC_H
#define _ASM_L4_ATOMIC_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/cmpxchg.h>

#define ATOMIC_INIT(i)			{ (i) }
#define ATOMIC64_INIT(i)		{ (i) }

#define arch_atomic_read(v)		READ_ONCE((v)->counter)
#define arch_atomic_set(v, i)		WRITE_ONCE((v)->counter, (i))
#define arch_atomic64_read(v)		READ_ONCE((v)->counter)
#define arch_atomic64_set(v, i)		WRITE_ONCE((v)->counter, (i))

/* Void operations are unordered; value-returning ones fully ordered. */
#define L4_ATOMIC_OP(pfx, T, op)					\
static __always_inline void arch_##pfx##_##op(T i, pfx##_t *v)		\
{									\
	__atomic_fetch_##op(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static __always_inline T arch_##pfx##_fetch_##op(T i, pfx##_t *v)	\
{									\
	return __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define L4_ATOMIC_RETURN(pfx, T, op)					\
static __always_inline T arch_##pfx##_##op##_return(T i, pfx##_t *v)	\
{									\
	return __atomic_##op##_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define L4_ATOMIC_ALL(pfx, T)						\
	L4_ATOMIC_OP(pfx, T, add)					\
	L4_ATOMIC_OP(pfx, T, sub)					\
	L4_ATOMIC_OP(pfx, T, and)					\
	L4_ATOMIC_OP(pfx, T, or)					\
	L4_ATOMIC_OP(pfx, T, xor)					\
	L4_ATOMIC_RETURN(pfx, T, add)					\
	L4_ATOMIC_RETURN(pfx, T, sub)					\
static __always_inline T arch_##pfx##_xchg(pfx##_t *v, T n)		\
{									\
	return arch_xchg(&v->counter, n);				\
}									\
static __always_inline T arch_##pfx##_cmpxchg(pfx##_t *v, T o, T n)	\
{									\
	return arch_cmpxchg(&v->counter, o, n);				\
}

L4_ATOMIC_ALL(atomic, int)
L4_ATOMIC_ALL(atomic64, s64)

#undef L4_ATOMIC_ALL
#undef L4_ATOMIC_RETURN
#undef L4_ATOMIC_OP

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

#endif /* _ASM_L4_ATOMIC_H */
