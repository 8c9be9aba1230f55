/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Bilby hypercall stubs for guest C code.
 *
 * Every stub is a static inline function around one `syscall` instruction,
 * following the register convention of abi.h: number in rax; arguments in
 * rdi, rsi, rdx, r10, r8, r9; status in rax and results in the argument
 * registers; rcx and r11 clobbered by the CPU; rsp never touched. Numbers
 * come only from the generated constants in <bilby/abi.h>.
 *
 * Including this header also places the ABI-version ELF note (name
 * BILBY_ABI_NOTE_NAME, type BILBY_ABI_NOTE_TYPE, descriptor BilbyAbiNote) in
 * the object, in a COMDAT group so that a linked image holds exactly one.
 * Define BILBY_NO_ABI_NOTE before including it to leave the note out.
 *
 * Works as C11 and C++17 (GCC or Clang), freestanding.
 */
#ifndef BILBY_HYPERCALLS_H
#define BILBY_HYPERCALLS_H

#include <bilby/abi.h>

#if !defined(__x86_64__)
#error "bilby/hypercalls.h: only x86_64 is supported"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define BILBY_STRINGIFY_(x) #x
#define BILBY_STRINGIFY(x) BILBY_STRINGIFY_(x)

#ifndef BILBY_NO_ABI_NOTE
__asm__(".pushsection " BILBY_ABI_NOTE_SECTION ",\"aG\",@note,bilby_abi_note,comdat\n"
        ".balign 4\n"
        ".long 2f - 1f\n"
        ".long 4f - 3f\n"
        ".long " BILBY_STRINGIFY(BILBY_ABI_NOTE_TYPE) "\n"
        "1: .asciz \"" BILBY_ABI_NOTE_NAME "\"\n"
        "2: .balign 4\n"
        "3: .long " BILBY_STRINGIFY(BILBY_ABI_MAJOR) "\n"
        ".long " BILBY_STRINGIFY(BILBY_ABI_MINOR) "\n"
        "4: .balign 4\n"
        ".popsection\n");
#endif

/* Status (rax) and the six result registers of one hypercall. */
typedef struct BilbyHypercallResult {
  uint64_t status;
  uint64_t rdi, rsi, rdx, r10, r8, r9;
} BilbyHypercallResult;

/* A register-only IPC message: tag, badge (filled on receive), words 0-3.
 * Words 4 and up are in the calling thread's UTCB `mr` array. */
typedef struct BilbyMessage {
  uint64_t tag;
  uint64_t badge;
  uint64_t w[4];
} BilbyMessage;

/* The raw hypercall: everything else is written in terms of it. */
static inline BilbyHypercallResult bilby_hypercall(uint64_t nr, uint64_t a0, uint64_t a1,
                                                   uint64_t a2, uint64_t a3, uint64_t a4,
                                                   uint64_t a5) {
  register uint64_t rax __asm__("rax") = nr;
  register uint64_t rdi __asm__("rdi") = a0;
  register uint64_t rsi __asm__("rsi") = a1;
  register uint64_t rdx __asm__("rdx") = a2;
  register uint64_t r10 __asm__("r10") = a3;
  register uint64_t r8 __asm__("r8") = a4;
  register uint64_t r9 __asm__("r9") = a5;
  __asm__ volatile("syscall"
                   : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                   :
                   : "rcx", "r11", "memory");
  BilbyHypercallResult r;
  r.status = rax;
  r.rdi = rdi;
  r.rsi = rsi;
  r.rdx = rdx;
  r.r10 = r10;
  r.r8 = r8;
  r.r9 = r9;
  return r;
}

/* Message tags. */
static inline uint64_t bilby_tag(uint32_t label, uint32_t words) {
  return ((uint64_t)label << BILBY_MESSAGE_TAG_LABEL_SHIFT) |
         ((uint64_t)words & BILBY_MESSAGE_TAG_WORDS_MASK);
}
static inline uint32_t bilby_tag_label(uint64_t tag) {
  return (uint32_t)(tag >> BILBY_MESSAGE_TAG_LABEL_SHIFT);
}
static inline uint32_t bilby_tag_words(uint64_t tag) {
  return (uint32_t)(tag & BILBY_MESSAGE_TAG_WORDS_MASK);
}

/* Version words (`BilbyBootInfo::version`, `BilbyBootModule::abi_version`). */
static inline uint32_t bilby_abi_version_word(uint32_t major, uint32_t minor) {
  return (major << BILBY_ABI_VERSION_MAJOR_SHIFT) | (minor & BILBY_ABI_VERSION_MINOR_MASK);
}
static inline uint32_t bilby_abi_version_major(uint32_t version) {
  return version >> BILBY_ABI_VERSION_MAJOR_SHIFT;
}
static inline uint32_t bilby_abi_version_minor(uint32_t version) {
  return version & BILBY_ABI_VERSION_MINOR_MASK;
}

static inline uint64_t bilby_nop(void) {
  return bilby_hypercall(BILBY_HYPERCALL_NOP, 0, 0, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_abi_version(uint32_t *major, uint32_t *minor) {
  BilbyHypercallResult r = bilby_hypercall(BILBY_HYPERCALL_ABI_VERSION, 0, 0, 0, 0, 0, 0);
  if (major) *major = (uint32_t)r.rdi;
  if (minor) *minor = (uint32_t)r.rsi;
  return r.status;
}

static inline uint64_t bilby_debug_putc(uint32_t control, char c) {
  return bilby_hypercall(BILBY_HYPERCALL_DEBUG_PUTC, control, (uint8_t)c, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_debug_write(uint32_t control, const void *buf, uint64_t len) {
  return bilby_hypercall(BILBY_HYPERCALL_DEBUG_WRITE, control, (uint64_t)(uintptr_t)buf, len, 0,
                         0, 0)
      .status;
}

static inline uint64_t bilby_debug_shutdown(uint32_t control, uint64_t exit_code) {
  return bilby_hypercall(BILBY_HYPERCALL_DEBUG_SHUTDOWN, control, exit_code, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_ipc_result_(BilbyHypercallResult r, BilbyMessage *m) {
  m->badge = r.rdi;
  m->tag = r.rsi;
  m->w[0] = r.rdx;
  m->w[1] = r.r10;
  m->w[2] = r.r8;
  m->w[3] = r.r9;
  return r.status;
}

/* Sends `m` on `endpoint` and waits for the reply, which replaces `m`. */
static inline uint64_t bilby_ipc_call(uint32_t endpoint, BilbyMessage *m) {
  return bilby_ipc_result_(bilby_hypercall(BILBY_HYPERCALL_IPC_CALL, endpoint, m->tag, m->w[0],
                                           m->w[1], m->w[2], m->w[3]),
                           m);
}

/* Replies with `m` to the pending caller, then waits on `endpoint`; the next
 * message replaces `m`. */
static inline uint64_t bilby_ipc_reply_recv(uint32_t endpoint, BilbyMessage *m) {
  return bilby_ipc_result_(bilby_hypercall(BILBY_HYPERCALL_IPC_REPLY_RECV, endpoint, m->tag,
                                           m->w[0], m->w[1], m->w[2], m->w[3]),
                           m);
}

static inline uint64_t bilby_ipc_send(uint32_t endpoint, const BilbyMessage *m) {
  return bilby_hypercall(BILBY_HYPERCALL_IPC_SEND, endpoint, m->tag, m->w[0], m->w[1], m->w[2],
                         m->w[3])
      .status;
}

static inline uint64_t bilby_ipc_recv(uint32_t endpoint, BilbyMessage *m) {
  return bilby_ipc_result_(bilby_hypercall(BILBY_HYPERCALL_IPC_RECV, endpoint, 0, 0, 0, 0, 0), m);
}

static inline uint64_t bilby_ipc_reply(const BilbyMessage *m) {
  return bilby_hypercall(BILBY_HYPERCALL_IPC_REPLY, 0, m->tag, m->w[0], m->w[1], m->w[2], m->w[3])
      .status;
}

static inline uint64_t bilby_endpoint_create(uint32_t memory, uint32_t dest_slot) {
  return bilby_hypercall(BILBY_HYPERCALL_ENDPOINT_CREATE, memory, dest_slot, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_thread_create(uint32_t memory, uint32_t task, uint32_t dest_slot,
                                           uint64_t utcb) {
  return bilby_hypercall(BILBY_HYPERCALL_THREAD_CREATE, memory, task, dest_slot, utcb, 0, 0)
      .status;
}

static inline uint64_t bilby_thread_configure(uint32_t thread, uint32_t item, uint64_t value,
                                              uint64_t value2) {
  return bilby_hypercall(BILBY_HYPERCALL_THREAD_CONFIGURE, thread, item, value, value2, 0, 0)
      .status;
}

static inline uint64_t bilby_thread_exchange_registers(uint32_t thread, BilbyUserRegisters *regs,
                                                       uint64_t flags) {
  return bilby_hypercall(BILBY_HYPERCALL_THREAD_EXCHANGE_REGISTERS, thread,
                         (uint64_t)(uintptr_t)regs, flags, 0, 0, 0)
      .status;
}

static inline uint64_t bilby_thread_resume(uint32_t thread) {
  return bilby_hypercall(BILBY_HYPERCALL_THREAD_RESUME, thread, 0, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_thread_suspend(uint32_t thread) {
  return bilby_hypercall(BILBY_HYPERCALL_THREAD_SUSPEND, thread, 0, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_task_create(uint32_t memory, uint32_t dest_slot) {
  return bilby_hypercall(BILBY_HYPERCALL_TASK_CREATE, memory, dest_slot, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_task_destroy(uint32_t task) {
  return bilby_hypercall(BILBY_HYPERCALL_TASK_DESTROY, task, 0, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_memory_map(uint32_t memory, uint32_t task, uint64_t vaddr,
                                        uint64_t pages, uint64_t rights, uint64_t offset) {
  return bilby_hypercall(BILBY_HYPERCALL_MEMORY_MAP, memory, task, vaddr, pages, rights, offset)
      .status;
}

static inline uint64_t bilby_map_pages(uint32_t task, uint64_t source, uint64_t destination,
                                       uint64_t pages, uint64_t rights) {
  return bilby_hypercall(BILBY_HYPERCALL_MAP_PAGES, task, source, destination, pages, rights, 0)
      .status;
}

static inline uint64_t bilby_unmap_pages(uint32_t task, uint64_t vaddr, uint64_t pages) {
  return bilby_hypercall(BILBY_HYPERCALL_UNMAP_PAGES, task, vaddr, pages, 0, 0, 0).status;
}

static inline uint64_t bilby_grant_pages(uint32_t task, uint64_t source, uint64_t destination,
                                         uint64_t pages, uint64_t rights) {
  return bilby_hypercall(BILBY_HYPERCALL_GRANT_PAGES, task, source, destination, pages, rights, 0)
      .status;
}

static inline uint64_t bilby_irq_attach(uint32_t irq, uint32_t endpoint, uint64_t badge) {
  return bilby_hypercall(BILBY_HYPERCALL_IRQ_ATTACH, irq, endpoint, badge, 0, 0, 0).status;
}

static inline uint64_t bilby_irq_ack(uint32_t irq) {
  return bilby_hypercall(BILBY_HYPERCALL_IRQ_ACK, irq, 0, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_timer_set(uint32_t control, uint32_t endpoint, uint64_t period_ns,
                                       uint64_t flags, uint64_t badge, uint64_t *now_ns) {
  BilbyHypercallResult r =
      bilby_hypercall(BILBY_HYPERCALL_TIMER_SET, control, endpoint, period_ns, flags, badge, 0);
  if (now_ns) *now_ns = r.rdi;
  return r.status;
}

static inline uint64_t bilby_counters_read(uint32_t control, BilbyCounters *out) {
  BilbyHypercallResult r = bilby_hypercall(BILBY_HYPERCALL_COUNTERS_READ, control, 0, 0, 0, 0, 0);
  out->user_to_kernel = r.rdi;
  out->kernel_to_user = r.rsi;
  out->address_space_switches = r.rdx;
  out->exception_ipcs = r.r10;
  out->ipc_messages = r.r8;
  out->hypercalls = r.r9;
  return r.status;
}

static inline uint64_t bilby_yield(void) {
  return bilby_hypercall(BILBY_HYPERCALL_YIELD, 0, 0, 0, 0, 0, 0).status;
}

static inline uint64_t bilby_cap_copy(uint32_t source_slot, uint32_t dest_task, uint32_t dest_slot,
                                      uint64_t rights, uint64_t badge) {
  return bilby_hypercall(BILBY_HYPERCALL_CAP_COPY, source_slot, dest_task, dest_slot, rights,
                         badge, 0)
      .status;
}

static inline uint64_t bilby_cap_delete(uint32_t task, uint32_t slot) {
  return bilby_hypercall(BILBY_HYPERCALL_CAP_DELETE, task, slot, 0, 0, 0, 0).status;
}

/* I/O ports (ABI 1.1). `width` is 1, 2 or 4 bytes. */
static inline uint64_t bilby_io_ports_issue(uint32_t source, uint16_t first, uint32_t count,
                                            uint32_t dest_slot) {
  return bilby_hypercall(BILBY_HYPERCALL_IO_PORTS_ISSUE, source, first, count, dest_slot, 0, 0)
      .status;
}

static inline uint64_t bilby_io_port_read(uint32_t ports, uint16_t port, uint32_t width,
                                          uint32_t *value) {
  BilbyHypercallResult r = bilby_hypercall(BILBY_HYPERCALL_IO_PORT_READ, ports, port, width, 0, 0, 0);
  *value = (uint32_t)r.rdi;
  return r.status;
}

static inline uint64_t bilby_io_port_write(uint32_t ports, uint16_t port, uint32_t width,
                                           uint32_t value) {
  return bilby_hypercall(BILBY_HYPERCALL_IO_PORT_WRITE, ports, port, width, value, 0, 0).status;
}

/* Device memory (ABI 1.1): a Memory capability over MMIO, mapped uncached. */
static inline uint64_t bilby_device_memory_issue(uint32_t control, uint64_t phys, uint64_t pages,
                                                 uint32_t dest_slot) {
  return bilby_hypercall(BILBY_HYPERCALL_DEVICE_MEMORY_ISSUE, control, phys, pages, dest_slot, 0,
                         0)
      .status;
}

#ifdef __cplusplus
}
#endif

#endif /* BILBY_HYPERCALLS_H */
