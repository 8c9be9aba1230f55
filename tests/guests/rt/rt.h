/* The C guests' small runtime: formatted output through a pluggable sink,
 * the memory functions the compiler may call, and the hypercall-based
 * helpers the native test guests share. Freestanding: no libc. */
#ifndef BILBY_TEST_RT_H
#define BILBY_TEST_RT_H

#include <bilby/hypercalls.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Every guest defines this; argument as the kernel starts the image. */
void guest_main(const BilbyBootInfo *boot_info, BilbyUtcb *utcb);

/* Where rt_printf's output goes: (buffer, length). */
typedef void (*rt_sink)(const char *buf, uint64_t len);
void rt_set_sink(rt_sink sink);

/* printf subset: %s %c %d %u %x %p, with l/ll sizes; %% */
void rt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_vprintf(const char *fmt, va_list ap);

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Native guests with a control capability: console and shutdown. */
void rt_use_console(uint32_t control_cap);
_Noreturn void rt_shutdown(uint32_t control_cap, uint64_t code);
/* Prints "FAIL: ..." and shuts down with exit code 1. */
_Noreturn void rt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The control capability rt_use_console was given (for rt_fail). */
extern uint32_t rt_control_cap;

#define RT_CHECK(cond, ...)                                                    \
  do {                                                                         \
    if (!(cond)) rt_fail(__VA_ARGS__);                                         \
  } while (0)

/* Fails the test unless `call` (a status) equals `status`, naming both. */
#define RT_EXPECT(call, status)                                                \
  do {                                                                         \
    uint64_t got_ = (call);                                                    \
    RT_CHECK(got_ == (status), "%s returned %lu, expected %lu", #call, got_,   \
             (uint64_t)(status));                                              \
  } while (0)

static inline uint64_t rt_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

#endif
