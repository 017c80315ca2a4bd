//! How many threads candle's CPU kernels use.
//!
//! candle sizes its worker pool by the machine's physical cores. That
//! ignores CPU affinity (`taskset`, `systemd` `CPUAffinity=`) and container
//! CPU limits, and its workers spin while they wait: with 16 of them on the
//! 2 CPUs a process may use, every matrix product waits on descheduled
//! spinners and enrichment slows to a crawl (seen on a 16-core host under
//! `taskset -c 0,1`: no snippet finished in 100 s).

/// The environment variables through which a user picks the count.
const USER_SETTINGS: [&str; 2] = ["CANDLE_NUM_THREADS", "RAYON_NUM_THREADS"];

/// Keeps candle's pool within the CPUs this process may use: sets
/// `CANDLE_NUM_THREADS` to the smaller of the physical cores and the usable
/// CPUs, unless the user set it or `RAYON_NUM_THREADS`. Call it at the start
/// of `main`, before any thread exists (the variable is read once, when the
/// first model runs).
pub fn fit_threads_to_cpus() {
    let user_set = USER_SETTINGS.iter().any(|v| std::env::var_os(v).is_some());
    let usable = std::thread::available_parallelism().map_or(1, |n| n.get());
    if let Some(n) = threads_for(user_set, num_cpus::get_physical(), usable) {
        std::env::set_var("CANDLE_NUM_THREADS", n.to_string());
    }
}

/// The count to set, if any: none when the user chose one.
fn threads_for(user_set: bool, physical: usize, usable: usize) -> Option<usize> {
    (!user_set).then(|| physical.min(usable).max(1))
}

#[cfg(test)]
mod tests {
    use super::threads_for;

    #[test]
    fn the_pool_never_outnumbers_the_usable_cpus() {
        // 8 physical cores, the process pinned to 2 CPUs.
        assert_eq!(threads_for(false, 8, 2), Some(2));
        // Hyper-threads: 2 physical cores, 4 usable logical CPUs.
        assert_eq!(threads_for(false, 2, 4), Some(2));
        assert_eq!(threads_for(false, 0, 0), Some(1));
        // The user's own choice stands.
        assert_eq!(threads_for(true, 8, 2), None);
    }
}
