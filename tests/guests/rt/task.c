/* Building tasks from user space, L4 style: memory is taken from a Memory
 * capability into our own address space (a "shadow" window), filled, and
 * mapped on into the new task, so the builder can always read and write
 * the task's memory at shadow_base + address. */
#include "task.h"

uint64_t rt_map_shadowed(const rt_space *s, uint64_t va, uint64_t pages, uint64_t rights) {
  uint64_t st = bilby_memory_map(s->memory, s->self_task, s->shadow_base + va, pages,
                                 BILBY_RIGHTS_ALL, 0);
  if (st != BILBY_STATUS_OK) return st;
  return bilby_map_pages(s->task, s->shadow_base + va, va, pages, rights);
}

struct elf64_ehdr {
  unsigned char ident[16];
  uint16_t type, machine;
  uint32_t version;
  uint64_t entry, phoff, shoff;
  uint32_t flags;
  uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

uint64_t rt_load_elf(const rt_space *s, const void *image, uint64_t size, uint64_t *entry,
                     uint64_t *end) {
  const struct elf64_ehdr *eh = image;
  if (size < sizeof *eh || memcmp(eh->ident, "\177ELF", 4) != 0 || eh->ident[4] != 2 ||
      eh->machine != 62 || eh->phentsize != sizeof(struct elf64_phdr) ||
      eh->phoff + (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size)
    return BILBY_STATUS_INVALID_ARGUMENT;
  const struct elf64_phdr *ph = (const void *)((const char *)image + eh->phoff);
  uint64_t top = 0;
  for (unsigned i = 0; i < eh->phnum; i++) {
    if (ph[i].type != 1 || ph[i].memsz == 0) continue;
    if (ph[i].offset + ph[i].filesz > size || ph[i].vaddr + ph[i].memsz > RT_SHADOW_SPAN)
      return BILBY_STATUS_INVALID_ARGUMENT;
    uint64_t first = ph[i].vaddr & ~(BILBY_PAGE_SIZE - 1);
    uint64_t last = (ph[i].vaddr + ph[i].memsz + BILBY_PAGE_SIZE - 1) & ~(BILBY_PAGE_SIZE - 1);
    uint64_t rights = BILBY_RIGHT_READ;
    if (ph[i].flags & 2) rights |= BILBY_RIGHT_WRITE;
    if (ph[i].flags & 1) rights |= BILBY_RIGHT_EXECUTE;
    uint64_t st = rt_map_shadowed(s, first, (last - first) / BILBY_PAGE_SIZE, rights);
    if (st != BILBY_STATUS_OK) return st;
    memcpy((void *)(s->shadow_base + ph[i].vaddr), (const char *)image + ph[i].offset,
           ph[i].filesz);
    if (last > top) top = last;
  }
  *entry = eh->entry;
  *end = top;
  return BILBY_STATUS_OK;
}

uint64_t rt_start_thread(const rt_space *s, uint32_t thread_slot, uint64_t entry,
                         uint64_t stack_top, uint64_t utcb, uint64_t arg) {
  uint64_t st = bilby_thread_create(s->memory, s->task, thread_slot, utcb);
  if (st != BILBY_STATUS_OK) return st;
  BilbyUserRegisters regs;
  memset(&regs, 0, sizeof regs);
  regs.rip = entry;
  regs.rsp = stack_top;
  regs.rdi = arg;
  regs.rsi = utcb;
  regs.rflags = 0x202;
  return bilby_thread_exchange_registers(thread_slot, &regs, BILBY_EXREGS_WRITE);
}

uint32_t rt_free_memory_cap(const BilbyBootInfo *bi) {
  for (uint32_t i = 0; i < bi->memory_region_count; i++)
    if (bi->memory[i].kind == BILBY_MEMORY_KIND_FREE && bi->memory[i].cap) return bi->memory[i].cap;
  return 0;
}

const BilbyBootModule *rt_module(const BilbyBootInfo *bi, const char *name) {
  uint64_t len = strlen(name) + 1;
  for (uint32_t i = 0; i < bi->module_count; i++)
    if (len <= BILBY_BOOT_MODULE_NAME_LEN && memcmp(bi->modules[i].name, name, len) == 0)
      return &bi->modules[i];
  rt_fail("module %s missing", name);
}
