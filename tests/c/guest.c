/* A C11 guest object: includes both headers, and one probe function per
 * hypercall stub with distinctive arguments, so a test can decode the
 * machine code and check the register convention. */
#include <bilby/abi.h>
#include <bilby/hypercalls.h>

#define PROBE(name, call) \
  uint64_t probe_##name(void); \
  uint64_t probe_##name(void) { return call; }

PROBE(nop, bilby_nop())
PROBE(debug_putc, bilby_debug_putc(0x101, 'x'))
PROBE(debug_write, bilby_debug_write(0x102, (const void *)0x7000, 0x33))
PROBE(debug_shutdown, bilby_debug_shutdown(0x103, 0x44))
PROBE(endpoint_create, bilby_endpoint_create(0x104, 0x205))
PROBE(thread_create, bilby_thread_create(0x105, 0x206, 0x307, 0x408000))
PROBE(thread_configure,
      bilby_thread_configure(0x106, BILBY_THREAD_CONFIG_ITEM_MODE, BILBY_THREAD_MODE_VIRTUALIZED, 0x77))
PROBE(thread_exchange_registers,
      bilby_thread_exchange_registers(0x107, (BilbyUserRegisters *)0x9000, BILBY_EXREGS_WRITE))
PROBE(thread_resume, bilby_thread_resume(0x108))
PROBE(thread_suspend, bilby_thread_suspend(0x109))
PROBE(task_create, bilby_task_create(0x10a, 0x20b))
PROBE(task_destroy, bilby_task_destroy(0x10b))
PROBE(memory_map, bilby_memory_map(0x10c, 0x20d, 0x400000, 0x10, BILBY_RIGHTS_ALL, 0x5))
PROBE(map_pages, bilby_map_pages(0x10d, 0x500000, 0x600000, 0x11, BILBY_RIGHT_READ))
PROBE(unmap_pages, bilby_unmap_pages(0x10e, 0x700000, 0x12))
PROBE(grant_pages, bilby_grant_pages(0x10f, 0x800000, 0x900000, 0x13, BILBY_RIGHT_WRITE))
PROBE(irq_attach, bilby_irq_attach(0x110, 0x211, 0x3333))
PROBE(irq_ack, bilby_irq_ack(0x111))
PROBE(timer_set, bilby_timer_set(0x112, 0x213, 1000000, BILBY_TIMER_PERIODIC, 0x4444, 0))
PROBE(yield, bilby_yield())
PROBE(cap_copy, bilby_cap_copy(0x114, 0x215, 0x316, BILBY_CAP_RIGHT_USE, 0x5555))
PROBE(cap_delete, bilby_cap_delete(0x115, 0x216))
PROBE(io_ports_issue, bilby_io_ports_issue(0x11b, 0x2170, 0x21c, 0x31d))
PROBE(io_port_write, bilby_io_port_write(0x11d, 0x2071, 4, 0x4cafe))
PROBE(device_memory_issue, bilby_device_memory_issue(0x11e, 0xfed00000, 0x21f, 0x320))

uint64_t probe_io_port_read(void);
uint64_t probe_io_port_read(void) {
  uint32_t v = 0;
  bilby_io_port_read(0x11c, 0x2070, 2, &v);
  return v;
}

uint64_t probe_ipc_call(void);
uint64_t probe_ipc_call(void) {
  BilbyMessage m = {bilby_tag(0x1234, 4), 0, {0x11, 0x22, 0x33, 0x44}};
  bilby_ipc_call(0x116, &m);
  return m.w[3];
}

uint64_t probe_ipc_reply_recv(void);
uint64_t probe_ipc_reply_recv(void) {
  BilbyMessage m = {bilby_tag(BILBY_REPLY_LABEL_RESUME, 0), 0, {0x55, 0x66, 0x77, 0x88}};
  bilby_ipc_reply_recv(0x117, &m);
  return m.badge;
}

uint64_t probe_ipc_send(void);
uint64_t probe_ipc_send(void) {
  BilbyMessage m = {bilby_tag(7, 1), 0, {0x99, 0, 0, 0}};
  return bilby_ipc_send(0x118, &m);
}

uint64_t probe_ipc_recv(void);
uint64_t probe_ipc_recv(void) {
  BilbyMessage m;
  bilby_ipc_recv(0x119, &m);
  return m.tag;
}

uint64_t probe_ipc_reply(void);
uint64_t probe_ipc_reply(void) {
  BilbyMessage m = {bilby_tag(8, 2), 0, {0xaa, 0xbb, 0, 0}};
  return bilby_ipc_reply(&m);
}

uint64_t probe_abi_version(void);
uint64_t probe_abi_version(void) {
  uint32_t major = 0, minor = 0;
  bilby_abi_version(&major, &minor);
  return ((uint64_t)major << 32) | minor;
}

uint64_t probe_counters_read(BilbyCounters *out);
uint64_t probe_counters_read(BilbyCounters *out) { return bilby_counters_read(0x11a, out); }

/* One probe per result register: each returns one Counters field. */
#define RESULT_PROBE(field) \
  uint64_t probe_result_##field(void); \
  uint64_t probe_result_##field(void) { \
    BilbyCounters c; \
    bilby_counters_read(0x11b, &c); \
    return c.field; \
  }
RESULT_PROBE(user_to_kernel)
RESULT_PROBE(kernel_to_user)
RESULT_PROBE(address_space_switches)
RESULT_PROBE(exception_ipcs)
RESULT_PROBE(ipc_messages)
RESULT_PROBE(hypercalls)

/* The guest side of the layout contract, checked by the C compiler too. */
_Static_assert(sizeof(BilbyExceptionMessage) == 184, "exception message size");
