/*
 * linux_raw.h: raw x86_64 Linux system calls for the freestanding programs
 * that run under Linux (linux_syscall.c, uml_init.c): no libc, the number
 * in rax, arguments in rdi, rsi, rdx, r10, r8; rcx and r11 clobbered.
 */
#ifndef BENCH_LINUX_RAW_H
#define BENCH_LINUX_RAW_H

#include "freestanding.h"

typedef uint64_t u64;
typedef int64_t i64;
typedef uint32_t u32;

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_dup2 33
#define SYS_getpid 39
#define SYS_fork 57
#define SYS_execve 59
#define SYS_exit 60
#define SYS_wait4 61
#define SYS_uname 63
#define SYS_fcntl 72
#define SYS_mkdir 83
#define SYS_mount 165
#define SYS_reboot 169

#define LINUX_REBOOT_MAGIC1 0xfee1deadUL
#define LINUX_REBOOT_MAGIC2 672274793UL
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcUL

static inline i64 sys0(u64 nr)
{
	i64 ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
	return ret;
}

static inline i64 sys3(u64 nr, u64 a, u64 b, u64 c)
{
	i64 ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline i64 sys5(u64 nr, u64 a, u64 b, u64 c, u64 d, u64 e)
{
	i64 ret;
	register u64 r10 __asm__("r10") = d;
	register u64 r8 __asm__("r8") = e;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Powers the machine off (as init); init must never return, so it waits. */
__attribute__((noreturn)) static inline void power_off(void)
{
	sys3(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF);
	for (;;)
		__asm__ volatile("pause");
}

#endif
