/* A virtualized thread for the counter tests: Linux getpid, forever. */
#include "rt.h"

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  (void)bi;
  (void)utcb;
  for (;;) {
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(39L) : "rcx", "r11", "memory");
  }
}
