//! Large allocations go back to the OS when freed, so a warm instance does not keep them.
//!
//! glibc serves an allocation above `M_MMAP_THRESHOLD` (128 KiB) with its own `mmap` and
//! unmaps it on free, but each such free raises the threshold to the freed size (up to 32 MiB)
//! and the trim threshold to twice that. After the first password hash (argon2id: one 19 MiB
//! buffer, on one of tokio's blocking threads, each with its own malloc arena) every later
//! buffer comes from an arena and stays resident when freed: users-register measured 182 MB of
//! RSS after ten registrations and +38 MB over the next minute (ARCHITECTURE.md, known
//! limits). A fixed threshold turns that adjustment off: the buffer is mapped per hash and
//! unmapped after it (a few milliseconds of page faults on a hash of ~100 ms).

/// glibc's default threshold, made fixed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes glibc's mmap and trim thresholds (no-op on other C libraries, whose allocators do
/// not adjust them). Called first thing at start (`telemetry::init`) and again by the loop:
/// a large free during the cold start has already raised the trim threshold, which fixing
/// the mmap threshold alone would leave raised.
pub(crate) fn return_large_frees_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt changes allocator parameters under the allocator's own lock; it takes
        // no pointer and does not touch memory already handed out.
        let set = |param, value| unsafe { libc::mallopt(param, value) } == 1;
        if !(set(libc::M_MMAP_THRESHOLD, THRESHOLD) && set(libc::M_TRIM_THRESHOLD, THRESHOLD)) {
            tracing::warn!("mallopt refused: large frees may stay resident");
        }
    }
}
