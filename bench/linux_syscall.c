/*
 * linux_syscall.c: the native-Linux side of `cargo xtask bench kernel`.
 *
 * A freestanding static x86_64 program (no libc: raw `syscall`
 * instructions only) that times system-call round trips with `rdtsc`.
 * The same binary runs as /init of a tiny initramfs under QEMU TCG with
 * `-icount shift=0` (where rdtsc counts guest instructions, so the figures
 * are exact path lengths), as init of User-Mode Linux with its root on
 * hostfs, and as an ordinary process on the host.
 *
 * Output: one machine-readable line per fact, each starting with "BENCH ",
 * space-separated key=value fields, values without spaces. xtask parses them
 * (xtask/src/bench/parse.rs); the format is:
 *
 *   BENCH begin version=1
 *   BENCH info key=<name> value=<text, with space, tab and % as %20, %09, %25>
 *   BENCH result name=<op> iters=<n> rounds=<r> ret=<last return> cycles=<c1>,<c2>,...
 *   BENCH end
 *
 * where every c_i is the rdtsc delta of one round of <n> back-to-back
 * operations (the warm-up round is not printed).
 *
 * When it runs as pid 1 it powers the machine off at the end, so QEMU and
 * UML exit on their own.
 */

#include "linux_raw.h"
#include "bench_line.h"

/* A number no x86_64 Linux assigns: the kernel answers -ENOSYS. */
#define SYS_INVALID 1000
#define ENOSYS 38

#define O_RDONLY 0
#define O_RDWR 2
#define F_GETFD 1

/* Operations per timed round, and rounds (plus one untimed warm-up round). */
#define ITERS 1000
#define ROUNDS 31

static unsigned long str_len(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

/*
 * Text from outside (uname, sysfs) must stay one token: space, tab and '%'
 * are percent-encoded, and a newline ends the value.
 */
static void put_token(const char *s, unsigned long n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (unsigned long i = 0; i < n && s[i] && s[i] != '\n' && line_len < sizeof(line) - 4; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '%') {
			line[line_len++] = '%';
			line[line_len++] = hex[c >> 4];
			line[line_len++] = hex[c & 15];
		} else {
			line[line_len++] = (char)c;
		}
	}
}

static void flush_line(void)
{
	line[line_len++] = '\n';
	const char *p = line;
	unsigned long left = line_len;
	while (left) {
		i64 n = sys3(SYS_write, 1, (u64)p, left);
		if (n <= 0)
			break;
		p += n;
		left -= (unsigned long)n;
	}
	line_len = 0;
}

static void info(const char *key, const char *value, unsigned long n)
{
	put_str("BENCH info key=");
	put_str(key);
	put_str(" value=");
	if (n == 0 || !value[0])
		put_str("-");
	else
		put_token(value, n);
	flush_line();
}

/*
 * The timed loops. Each is its own noinline function so that every round
 * runs exactly the same instructions; the loop overhead is measured by
 * `loop_empty`, which runs the same loop without the syscall.
 */
__attribute__((noinline)) static i64 loop_getpid(u64 n)
{
	i64 r = 0;
	for (u64 i = 0; i < n; i++)
		r = sys0(SYS_getpid);
	return r;
}

__attribute__((noinline)) static i64 loop_invalid(u64 n)
{
	i64 r = 0;
	for (u64 i = 0; i < n; i++)
		r = sys0(SYS_INVALID);
	return r;
}

__attribute__((noinline)) static i64 loop_empty(u64 n)
{
	i64 r = 0;
	for (u64 i = 0; i < n; i++)
		__asm__ volatile("" : "+r"(r)::"memory");
	return r;
}

static u64 cycles[ROUNDS];

static void measure(const char *name, i64 (*op)(u64))
{
	i64 ret = op(ITERS); /* warm-up: caches, TLB, first-touch faults */
	for (int r = 0; r < ROUNDS; r++) {
		u64 t0 = bench_tsc();
		ret = op(ITERS);
		u64 t1 = bench_tsc();
		cycles[r] = t1 - t0;
	}
	put_result(name, ITERS, ret, cycles, ROUNDS);
	flush_line();
}

static char file_buf[512];

/* Reports the first line of a (sysfs/proc) file, or nothing if it is absent. */
static void info_file(const char *key, const char *path)
{
	i64 fd = sys3(SYS_open, (u64)path, O_RDONLY, 0);
	if (fd < 0)
		return;
	i64 n = sys3(SYS_read, (u64)fd, (u64)file_buf, sizeof(file_buf) - 1);
	sys3(SYS_close, (u64)fd, 0, 0);
	if (n < 0)
		n = 0;
	file_buf[n] = 0;
	info(key, file_buf, (unsigned long)n);
}

struct utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domain[65];
};
static struct utsname uts;

/* As init, fd 1 may not be open (a hostfs root has no /dev/console): find one. */
static void ensure_console(void)
{
	if (sys3(SYS_fcntl, 1, F_GETFD, 0) >= 0)
		return;
	sys3(SYS_mkdir, (u64) "/dev", 0755, 0);
	sys5(SYS_mount, (u64) "devtmpfs", (u64) "/dev", (u64) "devtmpfs", 0, 0);
	i64 fd = sys3(SYS_open, (u64) "/dev/console", O_RDWR, 0);
	if (fd < 0)
		return;
	for (u64 i = 0; i < 3; i++)
		if ((u64)fd != i)
			sys3(SYS_dup2, (u64)fd, i, 0);
}

static const char *const vulnerabilities[] = {
	"meltdown", "spectre_v1", "spectre_v2", "retbleed", "spec_store_bypass", "mds",
};

__attribute__((used)) static void bench_main(void)
{
	int is_init = sys0(SYS_getpid) == 1;
	if (is_init) {
		ensure_console();
		sys3(SYS_mkdir, (u64) "/proc", 0555, 0);
		sys3(SYS_mkdir, (u64) "/sys", 0555, 0);
		sys5(SYS_mount, (u64) "proc", (u64) "/proc", (u64) "proc", 0, 0);
		sys5(SYS_mount, (u64) "sysfs", (u64) "/sys", (u64) "sysfs", 0, 0);
	}

	/* A fresh line: the firmware may have left the cursor mid-row. */
	put_str("\nBENCH begin version=1");
	flush_line();
	if (sys3(SYS_uname, (u64)&uts, 0, 0) == 0) {
		info("sysname", uts.sysname, sizeof(uts.sysname));
		info("release", uts.release, sizeof(uts.release));
		info("kernel_version", uts.version, sizeof(uts.version));
		info("machine", uts.machine, sizeof(uts.machine));
	}
	info("pid1", is_init ? "yes" : "no", 3);
	for (unsigned long i = 0; i < sizeof(vulnerabilities) / sizeof(vulnerabilities[0]); i++) {
		static char key[64], path[128];
		unsigned long k = 0, p = 0;
		const char *v = vulnerabilities[i];
		const char *prefix = "/sys/devices/system/cpu/vulnerabilities/";
		const char *kp = "vuln_";
		while (*kp)
			key[k++] = *kp++;
		while (*prefix)
			path[p++] = *prefix++;
		for (unsigned long j = 0; j < str_len(v); j++) {
			key[k++] = v[j];
			path[p++] = v[j];
		}
		key[k] = 0;
		path[p] = 0;
		info_file(key, path);
	}

	measure("loop", loop_empty);
	measure("getpid", loop_getpid);
	measure("invalid_syscall", loop_invalid);

	put_str("BENCH end");
	flush_line();

	if (is_init)
		power_off();
	sys3(SYS_exit, 0, 0, 0);
	for (;;)
		;
}

/* Entry from the kernel: align the stack as the C ABI wants and run. */
__asm__(".globl _start\n"
	"_start:\n"
	"	xor %ebp, %ebp\n"
	"	and $-16, %rsp\n"
	"	call bench_main\n"
	"	ud2\n");
