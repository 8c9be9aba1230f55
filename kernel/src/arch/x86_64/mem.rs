//! The memory intrinsics the compiler emits calls to (`memcpy`, `memmove`,
//! `memset`, `memcmp`): the host target's `compiler_builtins` leaves them
//! to libc, which a kernel does not have. Written with string instructions
//! so the compiler cannot turn them back into calls to themselves.

use core::arch::asm;

/// # Safety
/// The C contract: `n` bytes readable at `src`, writable at `dst`, no overlap.
#[no_mangle]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: by the caller (the C contract of memcpy). Quadwords first,
    // then the tail: a `rep` counts one instruction per iteration under
    // QEMU's icount, where the kernel's path lengths are measured.
    unsafe {
        asm!("rep movsq", "mov rcx, {tail}", "rep movsb",
             tail = in(reg) n & 7,
             inout("rcx") n >> 3 => _, inout("rdi") dst => _, inout("rsi") src => _,
             options(nostack, preserves_flags))
    };
    dst
}

/// # Safety
/// The C contract: `n` bytes readable at `src` and writable at `dst`.
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) || (dst as usize) >= (src as usize).wrapping_add(n) {
        // SAFETY: a forward copy is correct when dst is below src or past it.
        unsafe { memcpy(dst, src, n) };
    } else {
        // SAFETY: backwards copy with the direction flag, restored after.
        unsafe {
            asm!("std", "rep movsb", "cld",
                 inout("rcx") n => _, inout("rdi") dst.add(n - 1) => _,
                 inout("rsi") src.add(n - 1) => _, options(nostack))
        };
    }
    dst
}

/// # Safety
/// The C contract: `n` bytes writable at `dst`.
#[no_mangle]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let pattern = u64::from(c as u8) * 0x0101_0101_0101_0101;
    // SAFETY: by the caller (the C contract of memset); quadwords, then the tail.
    unsafe {
        asm!("rep stosq", "mov rcx, {tail}", "rep stosb",
             tail = in(reg) n & 7,
             inout("rcx") n >> 3 => _, inout("rdi") dst => _, in("rax") pattern,
             options(nostack, preserves_flags))
    };
    dst
}

/// # Safety
/// The C contract: `n` bytes readable at `a` and `b`.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, by the caller's contract both bytes are readable.
        let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// # Safety
/// Same as memcmp.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: by the caller.
    unsafe { memcmp(a, b, n) }
}

/// The precompiled `core` refers to the unwinding personality; the kernel is
/// built with `panic = "abort"` and never unwinds, so this is never called.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

/// The kernel has no heap: the `object` crate links `alloc` but the kernel
/// uses only its allocation-free parsers. Any allocation is a kernel bug
/// and fails (null), which `alloc` turns into a panic.
struct NoHeap;

// SAFETY: never hands out memory, so no allocation can be misused.
unsafe impl core::alloc::GlobalAlloc for NoHeap {
    unsafe fn alloc(&self, _layout: core::alloc::Layout) -> *mut u8 {
        core::ptr::null_mut()
    }
    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: core::alloc::Layout) {}
}

#[global_allocator]
static NO_HEAP: NoHeap = NoHeap;
