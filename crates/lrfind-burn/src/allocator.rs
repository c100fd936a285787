//! The system allocator, tuned for training loops on the CPU.
//!
//! A training step frees and allocates the same large tensors (activations, gradients, optimizer
//! state) every step. glibc's malloc serves blocks above its mmap threshold (128 KiB at first,
//! adjusted as blocks are freed) with fresh `mmap`s and gives freed heap tops back to the kernel
//! above its trim threshold, so every step faults new zeroed pages in again: a third of the char
//! transformer's step on burn's flex backend (`perf`: page faults, `clear_page`, `memmove`; docs/performance.md).
//! Raising both thresholds keeps freed memory for the next step.

/// Largest mmap threshold glibc accepts on 64-bit targets (`DEFAULT_MMAP_THRESHOLD_MAX`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD_MAX: libc::c_int = 32 * 1024 * 1024;

/// Keeps freed memory in the process instead of returning it to the kernel after every step
/// (glibc: `mallopt(M_MMAP_THRESHOLD, 32 MiB)` and `mallopt(M_TRIM_THRESHOLD, max)`). Call it once,
/// at the start of `main`, before other threads allocate. The cost: memory freed after a peak is
/// kept for reuse, not returned. Returns whether it applied (glibc on Linux only; elsewhere it
/// does nothing).
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets allocator parameters; it takes the allocator's own lock.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn applies_on_glibc() {
        let expected = cfg!(all(target_os = "linux", target_env = "gnu"));
        assert_eq!(super::keep_freed_memory(), expected);
    }
}
