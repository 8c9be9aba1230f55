/* The smallest root task: checks the ABI version by hypercall, prints
 * through the console capability, and shuts the machine down with 0. */
#include "rt.h"

/* The register convention: a hypercall writes rax and the result
 * registers its documentation names, the CPU clobbers rcx and r11, and
 * every other general register keeps its value. Issues hypercall `nr`
 * with the sentinels below in rdi, rsi, rdx, r10, r8, r9, rbx, r12-r15 and
 * returns a mask of the registers that changed (bit i: the i-th above). */
#define SENTINEL(i) (0x5e5e000000000000ull | ((uint64_t)(i) << 32) | 0xa5a5u)
static uint32_t changed_registers(uint64_t nr, uint64_t arg0, uint64_t *status) {
  register uint64_t rdi __asm__("rdi") = arg0;
  register uint64_t rsi __asm__("rsi") = SENTINEL(1);
  register uint64_t rdx __asm__("rdx") = SENTINEL(2);
  register uint64_t r10 __asm__("r10") = SENTINEL(3);
  register uint64_t r8 __asm__("r8") = SENTINEL(4);
  register uint64_t r9 __asm__("r9") = SENTINEL(5);
  register uint64_t rbx __asm__("rbx") = SENTINEL(6);
  register uint64_t r12 __asm__("r12") = SENTINEL(7);
  register uint64_t r13 __asm__("r13") = SENTINEL(8);
  register uint64_t r14 __asm__("r14") = SENTINEL(9);
  register uint64_t r15 __asm__("r15") = SENTINEL(10);
  uint64_t rax = nr;
  __asm__ volatile("syscall"
                   : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9),
                     "+r"(rbx), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)
                   :
                   : "rcx", "r11", "memory");
  const uint64_t after[11] = {rdi, rsi, rdx, r10, r8, r9, rbx, r12, r13, r14, r15};
  uint32_t mask = after[0] != arg0;
  for (int i = 1; i < 11; i++) mask |= (uint32_t)(after[i] != SENTINEL(i)) << i;
  *status = rax;
  return mask;
}

static void check_register_convention(uint32_t control) {
  uint64_t st;
  uint32_t m = changed_registers(BILBY_HYPERCALL_NOP, SENTINEL(0), &st);
  RT_CHECK(st == BILBY_STATUS_OK && m == 0, "Nop: status %lu, changed registers %x", st, m);
  /* Two results, in rdi and rsi; nothing else moves. */
  m = changed_registers(BILBY_HYPERCALL_ABI_VERSION, SENTINEL(0), &st);
  RT_CHECK(st == BILBY_STATUS_OK && m == 0x3, "AbiVersion: status %lu, changed %x", st, m);
  /* Six results. */
  m = changed_registers(BILBY_HYPERCALL_COUNTERS_READ, control, &st);
  RT_CHECK(st == BILBY_STATUS_OK && m == 0x3f, "CountersRead: status %lu, changed %x", st, m);
  /* An error writes the status only. */
  m = changed_registers(BILBY_HYPERCALL_COUNTERS_READ, 4095, &st);
  RT_CHECK(st == BILBY_STATUS_INVALID_CAPABILITY && m == 0,
           "CountersRead with an empty slot: status %lu, changed %x", st, m);
  m = changed_registers(9999, SENTINEL(0), &st);
  RT_CHECK(st == BILBY_STATUS_INVALID_HYPERCALL && m == 0,
           "unknown hypercall: status %lu, changed %x", st, m);
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  rt_use_console(bi->control_cap);
  uint32_t major = 0, minor = 0;
  uint64_t st = bilby_abi_version(&major, &minor);
  RT_CHECK(st == BILBY_STATUS_OK, "abi_version status %lu", st);
  RT_CHECK(bi->magic == BILBY_BOOT_INFO_MAGIC, "boot info magic %lx", bi->magic);
  RT_CHECK(utcb->version == BILBY_ABI_VERSION, "utcb version %x", utcb->version);
  rt_printf("hello: root task running, kernel ABI %u.%u, guest built for %u.%u\n", major, minor,
            BILBY_ABI_MAJOR, BILBY_ABI_MINOR);
  rt_printf("hello: %u memory regions, %u modules, first free slot %u\n",
            bi->memory_region_count, bi->module_count, bi->first_free_slot);
  RT_CHECK(bilby_nop() == BILBY_STATUS_OK, "nop");
  RT_CHECK(bilby_hypercall(9999, 0, 0, 0, 0, 0, 0).status == BILBY_STATUS_INVALID_HYPERCALL,
           "unknown hypercall not refused");
  check_register_convention(bi->control_cap);
  rt_printf("hello: results in the documented registers; rbx, r12-r15 and the argument "
            "registers not returned through kept their values\n");
  rt_printf("hello: done\n");
  rt_shutdown(bi->control_cap, 0);
}
