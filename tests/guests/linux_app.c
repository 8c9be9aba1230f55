/* A Linux-numbered C program: it knows nothing of Bilby and talks to its
 * OS only with the `syscall` instruction and Linux's numbers (write 1,
 * brk 12, getpid 39, exit_group 231). Run in a virtualized thread, every
 * one of them becomes exception IPC to its personality. (It includes the
 * runtime only for string helpers and the ABI note every guest image
 * carries.) */
#include "rt.h"

static long linux_syscall(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
  return ret;
}

static void write_out(const char *buf, uint64_t len) { linux_syscall(1, 1, (long)buf, (long)len); }

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  (void)bi;
  (void)utcb;
  rt_set_sink(write_out);
  rt_printf("app: hello from a Linux-numbered program on Bilby\n");
  long pid = linux_syscall(39, 0, 0, 0);
  rt_printf("app: getpid() = %ld\n", pid);
  for (int i = 0; i < 100; i++) linux_syscall(39, 0, 0, 0);
  long brk0 = linux_syscall(12, 0, 0, 0);
  long brk1 = linux_syscall(12, brk0 + 3 * 4096 + 100, 0, 0);
  char *heap = (char *)brk0;
  for (long i = 0; i < brk1 - brk0; i++) heap[i] = (char)i;
  long sum = 0;
  for (long i = 0; i < brk1 - brk0; i++) sum += (unsigned char)heap[i];
  rt_printf("app: brk grew the heap from %lx to %lx; %ld bytes written and read back (sum %ld)\n",
            brk0, brk1, brk1 - brk0, sum);
  long bad = linux_syscall(999, 0, 0, 0);
  rt_printf("app: unknown syscall 999 returned %ld (-ENOSYS)\n", bad);
  rt_printf("app: exiting with status 0\n");
  linux_syscall(231, 0, 0, 0);
  for (;;) {
  }
}
