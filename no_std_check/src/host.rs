//! What the program needs of x86_64 Linux, without a C library: the entry point the kernel
//! jumps to, the exit system call, a panic handler, and the memory functions compiled code
//! calls. `build.rs` links with `-nostartfiles -nostdlib -static`, so nothing else of the
//! host is there. A Cortex-M build replaces this module (see the README's "No heap").

use core::arch::{asm, global_asm};
use core::ptr::{read_volatile, write_volatile};

// The kernel starts a process at `_start` with `rsp` pointing at `argc`, 16-byte aligned,
// and no return address. A call pushes one, so the Rust function sees the stack as the ABI
// says a function's entry does.
global_asm!(
    ".globl _start",
    ".type _start, @function",
    "_start:",
    // The outermost frame, for debuggers and unwinders.
    "xor ebp, ebp",
    "and rsp, -16",
    "call {entry}",
    "ud2",
    entry = sym entry,
);

extern "C" fn entry() -> ! {
    exit(if crate::learned() { 0 } else { 1 })
}

/// Ends the process with `code`, as `_exit` does.
fn exit(code: i32) -> ! {
    // SAFETY: `exit_group` (231) takes its code in `rdi`, reads no memory and never returns.
    unsafe {
        asm!(
            "syscall",
            in("rax") 231,
            in("rdi") code,
            options(noreturn, nostack)
        )
    }
}

/// A panic (none is expected: every fallible call returns an error) exits with 101, the
/// code a panicking Rust program exits with, so that CI tells it from "did not learn".
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    exit(101)
}

/// The prebuilt `core` for this target refers to the unwinding personality routine even
/// under `panic = "abort"`, where nothing ever calls it.
#[no_mangle]
extern "C" fn rust_eh_personality() {}

// The memory functions. Rust's `compiler_builtins` exports them only on targets without a C
// library, which this one is not, and LLVM emits calls to them for copies and fills. Every
// access is volatile: LLVM would otherwise recognize these loops as a copy or a fill and
// compile them into a call to the very function being defined. Byte by byte is slow, but
// the program copies little.

/// Copies `n` bytes from `src` to `dest`, which do not overlap.
///
/// # Safety
/// As C's `memcpy`: both valid for `n` bytes, not overlapping.
#[no_mangle]
unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: both in bounds, by the caller's contract.
        unsafe { write_volatile(dest.add(i), read_volatile(src.add(i))) };
    }
    dest
}

/// Copies `n` bytes from `src` to `dest`, which may overlap.
///
/// # Safety
/// As C's `memmove`: both valid for `n` bytes.
#[no_mangle]
unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dest as usize) <= (src as usize) {
        // Forward: each byte is read before a write could reach it.
        for i in 0..n {
            // SAFETY: both in bounds, by the caller's contract.
            unsafe { write_volatile(dest.add(i), read_volatile(src.add(i))) };
        }
    } else {
        // Backward, for a destination above an overlapping source.
        for i in (0..n).rev() {
            // SAFETY: as above.
            unsafe { write_volatile(dest.add(i), read_volatile(src.add(i))) };
        }
    }
    dest
}

/// Sets `n` bytes at `dest` to `c` (converted to a byte, as C does).
///
/// # Safety
/// As C's `memset`: `dest` valid for `n` bytes.
#[no_mangle]
unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    for i in 0..n {
        // SAFETY: in bounds, by the caller's contract.
        unsafe { write_volatile(dest.add(i), c as u8) };
    }
    dest
}

/// Compares `n` bytes: negative, zero or positive as the first differing byte of `a` is
/// below, equal to or above `b`'s.
///
/// # Safety
/// As C's `memcmp`: both valid for `n` bytes.
#[no_mangle]
unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    for i in 0..n {
        // SAFETY: both in bounds, by the caller's contract.
        let (x, y) = unsafe { (read_volatile(a.add(i)), read_volatile(b.add(i))) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
    }
    0
}

/// Zero when `n` bytes at `a` and `b` are equal, non-zero otherwise.
///
/// # Safety
/// As `memcmp`.
#[no_mangle]
unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the same contract.
    unsafe { memcmp(a, b, n) }
}
