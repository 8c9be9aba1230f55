/* A user-level device driver, end to end (ABI 1.1): the root task issues
 * itself an I/O-port capability for the CMOS real-time clock (ports 0x70,
 * 0x71), attaches the clock's interrupt line (IRQ 8) to an endpoint,
 * programs the clock's periodic interrupt and takes interrupts as IPC
 * messages, acknowledging each at the device (reading register C) and at
 * the kernel (IrqAck). Then it turns the interrupt off and proves no
 * further interrupt arrives: the next message on the endpoint is a timer
 * message set up after the last acknowledgement. */
#include "task.h"

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_REG_A 0x0a /* rate select in bits 0-3 */
#define RTC_REG_B 0x0b /* bit 6: periodic interrupt enable */
#define RTC_REG_C 0x0c /* read to acknowledge; bit 7 IRQ, bit 6 periodic */
#define RTC_PIE 0x40
#define RTC_IRQF 0x80
#define RTC_PF 0x40
#define RTC_RATE_128HZ 9
#define RTC_IRQ 8
#define INTERRUPTS 16
#define IRQ_BADGE 0x1208
#define TIMER_BADGE 0x7133

static uint32_t ports;

static uint32_t rtc_read(uint32_t reg) {
  uint32_t v = 0;
  uint64_t st = bilby_io_port_write(ports, RTC_INDEX, 1, reg);
  RT_CHECK(st == BILBY_STATUS_OK, "index write: status %lu", st);
  st = bilby_io_port_read(ports, RTC_DATA, 1, &v);
  RT_CHECK(st == BILBY_STATUS_OK, "data read: status %lu", st);
  return v;
}

static void rtc_write(uint32_t reg, uint32_t value) {
  uint64_t st = bilby_io_port_write(ports, RTC_INDEX, 1, reg);
  RT_CHECK(st == BILBY_STATUS_OK, "index write: status %lu", st);
  st = bilby_io_port_write(ports, RTC_DATA, 1, value);
  RT_CHECK(st == BILBY_STATUS_OK, "data write: status %lu", st);
}

void guest_main(const BilbyBootInfo *bi, BilbyUtcb *utcb) {
  (void)utcb;
  uint32_t control = bi->control_cap;
  rt_use_console(control);
  uint32_t mem = rt_free_memory_cap(bi);
  uint32_t slot = bi->first_free_slot;
  RT_CHECK(bilby_abi_version_minor(bi->version) >= 1 &&
               bilby_abi_version_major(bi->version) == BILBY_ABI_MAJOR,
           "kernel ABI %x has no I/O-port capabilities", bi->version);

  ports = slot++;
  uint64_t st = bilby_io_ports_issue(control, RTC_INDEX, 2, ports);
  RT_CHECK(st == BILBY_STATUS_OK, "issuing the RTC's ports: status %lu", st);
  uint32_t irq = bi->irq_cap_base + RTC_IRQ;
  uint32_t ep = slot++;
  RT_CHECK(bilby_endpoint_create(mem, ep) == BILBY_STATUS_OK, "endpoint");

  uint32_t b = rtc_read(RTC_REG_B);
  RT_CHECK((b & RTC_PIE) == 0, "periodic interrupt already on (B %x)", b);
  rtc_read(RTC_REG_C); /* drop any stale flag */
  st = bilby_irq_attach(irq, ep, IRQ_BADGE);
  RT_CHECK(st == BILBY_STATUS_OK, "irq_attach: status %lu", st);
  rtc_write(RTC_REG_A, (rtc_read(RTC_REG_A) & 0xf0) | RTC_RATE_128HZ);
  rtc_write(RTC_REG_B, b | RTC_PIE);
  rt_printf("rtc_driver: ports 0x70-0x71 issued, IRQ 8 attached, periodic interrupt on\n");

  BilbyMessage m;
  for (int i = 0; i < INTERRUPTS; i++) {
    memset(&m, 0, sizeof m);
    st = bilby_ipc_recv(ep, &m);
    RT_CHECK(st == BILBY_STATUS_OK, "recv: status %lu", st);
    RT_CHECK(bilby_tag_label(m.tag) == BILBY_EXCEPTION_KIND_INTERRUPT,
             "message %d: label %x, not an interrupt", i, bilby_tag_label(m.tag));
    RT_CHECK(m.badge == IRQ_BADGE && m.w[0] == RTC_IRQ, "message %d: badge %lx irq %lu", i,
             m.badge, m.w[0]);
    /* Off before the last acknowledgement, so that no period can raise the
     * line between it and IrqAck; the device then reports the period flag
     * without the interrupt flag. */
    int last = i == INTERRUPTS - 1;
    if (last) rtc_write(RTC_REG_B, b);
    uint32_t c = rtc_read(RTC_REG_C);
    uint32_t want = last ? RTC_PF : RTC_IRQF | RTC_PF;
    RT_CHECK((c & (RTC_IRQF | RTC_PF)) == want, "interrupt %d: device flags C %x, expected %x", i,
             c, want);
    st = bilby_irq_ack(irq);
    RT_CHECK(st == BILBY_STATUS_OK, "irq_ack: status %lu", st);
  }
  rt_printf("rtc_driver: %d interrupts from IRQ 8 arrived as IPC, each acknowledged at the "
            "device and by IrqAck\n",
            INTERRUPTS);

  /* With the interrupt off at the device, the next message must be the
   * timer's, 50 ms later: no interrupt is left pending or re-raised. */
  st = bilby_timer_set(control, ep, 50000000, 0, TIMER_BADGE, 0);
  RT_CHECK(st == BILBY_STATUS_OK, "timer_set: status %lu", st);
  memset(&m, 0, sizeof m);
  st = bilby_ipc_recv(ep, &m);
  RT_CHECK(st == BILBY_STATUS_OK, "recv: status %lu", st);
  RT_CHECK(bilby_tag_label(m.tag) == BILBY_EXCEPTION_KIND_TIMER && m.badge == TIMER_BADGE,
           "after the interrupt was turned off: label %x badge %lx", bilby_tag_label(m.tag),
           m.badge);
  RT_CHECK((rtc_read(RTC_REG_B) & RTC_PIE) == 0, "periodic interrupt still on");
  rt_printf("rtc_driver: interrupt off at the device: the next message was the timer's\n");
  rt_shutdown(control, 0);
}
