/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exchange and compare-exchange with the compiler's atomic builtins: real
 * locked instructions, so they are atomic against the interrupt thread too
 * (masking the virtual interrupt flag would not be).
 */
#ifndef _ASM_L4_CMPXCHG_H
#define _ASM_L4_CMPXCHG_H

#define arch_xchg(ptr, x)	__atomic_exchange_n((ptr), (x), __ATOMIC_SEQ_CST)

#define arch_cmpxchg(ptr, o, n)						\
({									\
	__typeof__(*(ptr)) __old = (o);					\
	__atomic_compare_exchange_n((ptr), &__old, (n), 0,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);	\
	__old;								\
})

#define arch_cmpxchg_local(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))
#define arch_cmpxchg64(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))
#define arch_cmpxchg64_local(ptr, o, n)	arch_cmpxchg((ptr), (o), (n))

#endif /* _ASM_L4_CMPXCHG_H */
