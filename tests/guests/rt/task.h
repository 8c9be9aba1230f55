/* Building tasks from user space; see task.c. */
#ifndef BILBY_TEST_TASK_H
#define BILBY_TEST_TASK_H

#include "rt.h"

/* A task's addresses below this are shadowed in the builder. */
#define RT_SHADOW_SPAN 0x10000000ull

typedef struct rt_space {
  uint32_t memory;     /* Memory capability paying for everything */
  uint32_t self_task;  /* the builder's own task capability */
  uint32_t task;       /* the task being built */
  uint64_t shadow_base;
} rt_space;

/* Fresh zeroed pages at `va` in the task, also at shadow_base + va here. */
uint64_t rt_map_shadowed(const rt_space *s, uint64_t va, uint64_t pages, uint64_t rights);
/* Loads the ELF image (mapped here) into the task; returns a status. */
uint64_t rt_load_elf(const rt_space *s, const void *image, uint64_t size, uint64_t *entry,
                     uint64_t *end);
/* Creates a stopped thread in the task with the given start registers. */
uint64_t rt_start_thread(const rt_space *s, uint32_t thread_slot, uint64_t entry,
                         uint64_t stack_top, uint64_t utcb, uint64_t arg);
/* The capability of the first free memory region. */
uint32_t rt_free_memory_cap(const BilbyBootInfo *bi);
/* The boot module with this file name; fails the test if there is none. */
const BilbyBootModule *rt_module(const BilbyBootInfo *bi, const char *name);

#endif
