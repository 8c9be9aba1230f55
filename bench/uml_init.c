/*
 * uml_init.c: /init of the initramfs that runs User-Mode Linux inside
 * Debian's kernel under QEMU TCG with `-icount shift=0`, so that UML's
 * system-call path is counted in instructions like native Linux's and
 * Bilby's (xtask/src/bench/uml.rs).
 *
 * It prepares what UML needs from its host (devtmpfs, /proc, a tmpfs at
 * /dev/shm for UML's memory file, /tmp), runs the command the kernel passes
 * after `--` on its command line (UML and its arguments) with
 * TMPDIR=/dev/shm, waits for it, and powers the machine off.
 * Freestanding like bench/linux_syscall.c: raw system calls, no libc.
 */

#include "linux_raw.h"

static void say(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	sys5(SYS_write, 1, (u64)s, n, 0, 0);
}

static void mount_fs(const char *type, const char *dir)
{
	sys5(SYS_mkdir, (u64)dir, 0755, 0, 0, 0);
	if (sys5(SYS_mount, (u64)type, (u64)dir, (u64)type, 0, 0) < 0) {
		say("uml_init: cannot mount ");
		say(dir);
		say("\n");
	}
}

__attribute__((used)) static void init_main(u64 *sp)
{
	u64 argc = sp[0];
	char **argv = (char **)(sp + 1);
	mount_fs("devtmpfs", "/dev");
	mount_fs("proc", "/proc");
	mount_fs("tmpfs", "/dev/shm");
	mount_fs("tmpfs", "/tmp");
	if (argc < 2) {
		say("uml_init: no command after `--` on the kernel command line\n");
		power_off();
	}
	static char *const envp[] = {"TMPDIR=/dev/shm", "HOME=/", "PATH=/", 0};
	i64 pid = sys5(SYS_fork, 0, 0, 0, 0, 0);
	if (pid == 0) {
		sys5(SYS_execve, (u64)argv[1], (u64)(argv + 1), (u64)envp, 0, 0);
		say("uml_init: cannot execute the command\n");
		sys5(SYS_exit, 127, 0, 0, 0, 0);
	}
	if (pid < 0) {
		say("uml_init: fork failed\n");
		power_off();
	}
	/* Reap everything; stop when the command itself has ended. */
	for (;;) {
		int status = 0;
		i64 w = sys5(SYS_wait4, (u64)-1, (u64)&status, 0, 0, 0);
		if (w == pid || w < 0)
			break;
	}
	power_off();
}

/* The kernel starts init with argc, argv and envp on the stack. */
__asm__(".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call init_main\n"
	"	ud2\n");
