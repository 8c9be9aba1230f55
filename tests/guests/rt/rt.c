/* The C guests' runtime; see rt.h. */
#include "rt.h"

static rt_sink sink;
uint32_t rt_control_cap;

void guest_start(const BilbyBootInfo *boot_info, BilbyUtcb *utcb) {
  guest_main(boot_info, utcb);
  if (rt_control_cap) rt_shutdown(rt_control_cap, 0);
  for (;;) {
  }
}

void rt_set_sink(rt_sink s) { sink = s; }

static void console_sink(const char *buf, uint64_t len) {
  bilby_debug_write(rt_control_cap, buf, len);
}

void rt_use_console(uint32_t control_cap) {
  rt_control_cap = control_cap;
  sink = console_sink;
}

_Noreturn void rt_shutdown(uint32_t control_cap, uint64_t code) {
  bilby_debug_shutdown(control_cap, code);
  for (;;) {
  }
}

_Noreturn void rt_fail(const char *fmt, ...) {
  va_list ap;
  rt_printf("FAIL: ");
  va_start(ap, fmt);
  rt_vprintf(fmt, ap);
  va_end(ap);
  rt_printf("\n");
  rt_shutdown(rt_control_cap, 1);
}

void *memset(void *d, int c, size_t n) {
  unsigned char *p = d;
  while (n--) *p++ = (unsigned char)c;
  return d;
}

void *memcpy(void *d, const void *s, size_t n) {
  unsigned char *p = d;
  const unsigned char *q = s;
  while (n--) *p++ = *q++;
  return d;
}

void *memmove(void *d, const void *s, size_t n) {
  unsigned char *p = d;
  const unsigned char *q = s;
  if (p < q) {
    while (n--) *p++ = *q++;
  } else {
    while (n--) p[n] = q[n];
  }
  return d;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *p = a, *q = b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p - *q;
  return 0;
}

size_t strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

struct out {
  char buf[256];
  uint64_t len;
};

static void flush(struct out *o) {
  if (o->len && sink) sink(o->buf, o->len);
  o->len = 0;
}

static void put(struct out *o, char c) {
  if (o->len == sizeof o->buf) flush(o);
  o->buf[o->len++] = c;
}

static void put_num(struct out *o, uint64_t v, unsigned base, int negative) {
  char tmp[24];
  int n = 0;
  do {
    unsigned d = (unsigned)(v % base);
    tmp[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    v /= base;
  } while (v);
  if (negative) put(o, '-');
  while (n) put(o, tmp[--n]);
}

void rt_vprintf(const char *fmt, va_list ap) {
  struct out o;
  o.len = 0;
  for (; *fmt; fmt++) {
    if (*fmt != '%') {
      put(&o, *fmt);
      continue;
    }
    fmt++;
    int longs = 0;
    while (*fmt == 'l') {
      longs++;
      fmt++;
    }
    switch (*fmt) {
      case 's': {
        const char *s = va_arg(ap, const char *);
        while (*s) put(&o, *s++);
        break;
      }
      case 'c':
        put(&o, (char)va_arg(ap, int));
        break;
      case 'd': {
        int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
        put_num(&o, v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0);
        break;
      }
      case 'u':
        put_num(&o, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, 0);
        break;
      case 'x':
        put_num(&o, longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, 0);
        break;
      case 'p':
        put(&o, '0');
        put(&o, 'x');
        put_num(&o, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0);
        break;
      case '%':
        put(&o, '%');
        break;
      default:
        put(&o, '?');
        break;
    }
  }
  flush(&o);
}

void rt_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  rt_vprintf(fmt, ap);
  va_end(ap);
}
