/* An untrusted thread for the isolation tests; the root task starts it
 * with rdi naming one attempt: 1 read kernel memory, 2 write kernel
 * memory, 3 read the root task's memory (an address only mapped there),
 * 4 issue a hypercall (the root runs it in virtualized mode). Each must
 * end in an exception message to its handler, never succeed. */
#include "rt.h"

#define ROOT_ONLY_ADDRESS 0x20000000ull

void guest_main(const BilbyBootInfo *arg, BilbyUtcb *utcb) {
  (void)utcb;
  uint64_t attempt = (uint64_t)(uintptr_t)arg;
  volatile uint64_t *kernel = (volatile uint64_t *)0xffffffff80100000ull;
  volatile uint64_t *root = (volatile uint64_t *)ROOT_ONLY_ADDRESS;
  switch (attempt) {
    case 1:
      (void)*kernel;
      break;
    case 2:
      *kernel = 0;
      break;
    case 3:
      (void)*root;
      break;
    case 4:
      bilby_debug_shutdown(3, 42);
      break;
    case 5:
    case 8:
      __asm__ volatile("ud2");
      break;
    case 6: {
      volatile uint64_t zero = 0;
      uint64_t q;
      __asm__ volatile("xor %%edx, %%edx\n div %1" : "=a"(q) : "r"(zero), "a"(7ull) : "rdx");
      (void)q;
      break;
    }
    case 7:
      __asm__ volatile("cli");
      break;
  }
  /* Reaching here means the attempt was not stopped: report it by a page
   * fault at a telltale address. */
  (void)*(volatile uint64_t *)0xbad0000;
}
