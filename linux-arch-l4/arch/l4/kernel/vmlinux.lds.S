/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmlinux as a Bilby root task: a static x86_64 ELF linked at
 * CONFIG_L4_LINK_ADDRESS, entered at _start, with the Bilby ABI note in a
 * PT_NOTE segment. Guest memory is mapped right after _end.
 */
#define EMITS_PT_NOTE
#define RO_EXCEPTION_TABLE_ALIGN	16
/* Nothing write-protects it after init, so it lives with the data. */
#define RO_AFTER_INIT_DATA

#include <asm-generic/vmlinux.lds.h>
#include <asm/cache.h>
#include <asm/page.h>
#include <asm/thread_info.h>

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(_start)
jiffies = jiffies_64;

PHDRS {
	text PT_LOAD FLAGS(5);		/* R X */
	init PT_LOAD FLAGS(7);		/* R W X: init code and data, freed after boot */
	data PT_LOAD FLAGS(6);		/* R W */
	note PT_NOTE FLAGS(4);
}

SECTIONS
{
	. = CONFIG_L4_LINK_ADDRESS;
	_text = .;
	_stext = .;
	.text : {
		HEAD_TEXT
		TEXT_TEXT
		SCHED_TEXT
		LOCK_TEXT
		IRQENTRY_TEXT
		SOFTIRQENTRY_TEXT
		*(.fixup)
	} :text
	_etext = .;

	RO_DATA(PAGE_SIZE)

	. = ALIGN(PAGE_SIZE);
	__init_begin = .;
	INIT_TEXT_SECTION(PAGE_SIZE) :init
	INIT_DATA_SECTION(16)
	PERCPU_SECTION(L1_CACHE_BYTES)
	. = ALIGN(PAGE_SIZE);
	__init_end = .;

	_sdata = .;
	RW_DATA(L1_CACHE_BYTES, PAGE_SIZE, THREAD_SIZE) :data
	.data..ro_after_init : {
		__start_ro_after_init = .;
		*(.data..ro_after_init)
		JUMP_TABLE_DATA
		STATIC_CALL_DATA
		__end_ro_after_init = .;
	}
	_edata = .;

	BSS_SECTION(0, 0, 0)
	. = ALIGN(PAGE_SIZE);
	_end = .;

	STABS_DEBUG
	DWARF_DEBUG
	ELF_DETAILS

	DISCARDS
}
