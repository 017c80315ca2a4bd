//! Low CPU priority for background enrichment threads, so that the TUI and
//! whatever else the user runs keep the cores when they want them.
//!
//! The setting is per thread. Threads a polite thread starts inherit it on
//! Linux (`clone` copies the policy and the nice value), and that includes
//! the compute pools candle starts lazily on its first matmul: in a process
//! where only the background worker runs the model, they are polite too.
//! Lowering priority needs no privilege; failing to do it is logged and
//! otherwise ignored.

/// What [`lower_current_thread`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Politeness {
    /// Linux `SCHED_IDLE`: the thread runs only when a core is otherwise idle.
    Idle,
    /// A nice value (Linux fallback when `SCHED_IDLE` is refused).
    Nice(i32),
    /// macOS: the background quality-of-service class.
    Background,
    /// Nothing: not supported on this platform, or refused.
    Unchanged,
}

/// Lowers the calling thread's CPU priority as far as it goes without
/// privileges, logs what happened, and never fails.
pub fn lower_current_thread() -> Politeness {
    let result = lower();
    match &result {
        Ok(Politeness::Unchanged) => {
            tracing::debug!("enrichment thread priority left as is on this platform")
        }
        Ok(p) => tracing::info!(priority = ?p, "enrichment thread runs at low CPU priority"),
        Err(e) => tracing::warn!(error = %e, "cannot lower the enrichment thread's priority"),
    }
    result.unwrap_or(Politeness::Unchanged)
}

#[cfg(target_os = "linux")]
fn lower() -> std::io::Result<Politeness> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 names the calling thread; `param` outlives the call.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } == 0 {
        return Ok(Politeness::Idle);
    }
    let idle_error = std::io::Error::last_os_error();
    // On Linux the nice value belongs to the thread named by its id.
    // SAFETY: plain system calls on the calling thread's own id.
    let tid = unsafe { libc::gettid() };
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19) } == 0 {
        tracing::debug!(error = %idle_error, "SCHED_IDLE refused, nice 19 instead");
        return Ok(Politeness::Nice(19));
    }
    Err(std::io::Error::last_os_error())
}

#[cfg(target_os = "macos")]
fn lower() -> std::io::Result<Politeness> {
    use libc::{pthread_set_qos_class_self_np, qos_class_t::QOS_CLASS_BACKGROUND};
    // SAFETY: changes only the calling thread's QoS class.
    match unsafe { pthread_set_qos_class_self_np(QOS_CLASS_BACKGROUND, 0) } {
        0 => Ok(Politeness::Background),
        code => Err(std::io::Error::from_raw_os_error(code)),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn lower() -> std::io::Result<Politeness> {
    Ok(Politeness::Unchanged)
}

/// The calling thread's scheduling policy and nice value, as the kernel
/// reports them (Linux only; for tests and diagnostics).
#[cfg(target_os = "linux")]
pub fn current_thread_priority() -> (i32, i32) {
    // SAFETY: queries on the calling thread only. `getpriority` can return
    // -1 legitimately; errno is not needed for a diagnostic.
    unsafe {
        let policy = libc::sched_getscheduler(0);
        let nice = libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t);
        (policy, nice)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_lowered_thread_reports_idle_policy_or_nice_19() {
        let (done, policy, nice) = std::thread::spawn(|| {
            let done = lower_current_thread();
            let (policy, nice) = current_thread_priority();
            (done, policy, nice)
        })
        .join()
        .unwrap();
        match done {
            Politeness::Idle => assert_eq!(policy, libc::SCHED_IDLE),
            Politeness::Nice(n) => assert_eq!(nice, n),
            other => panic!("priority not lowered on Linux: {other:?}"),
        }
        // The thread running the test is untouched.
        assert_ne!(current_thread_priority().0, libc::SCHED_IDLE);
    }

    #[test]
    fn threads_started_by_a_polite_thread_inherit_it() {
        let (policy, nice) = std::thread::spawn(|| {
            lower_current_thread();
            std::thread::spawn(current_thread_priority).join().unwrap()
        })
        .join()
        .unwrap();
        assert!(policy == libc::SCHED_IDLE || nice == 19, "{policy} {nice}");
    }
}
