//! Peak resident memory of this process.

/// `VmHWM` of `/proc/self/status` in KiB (`None` off Linux).
pub fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_vm_hwm() {
        let status = "Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t    4242 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(super::parse_vm_hwm(status), Some(4242));
        assert_eq!(super::parse_vm_hwm("Name: x\n"), None);
        assert!(super::peak_kib().is_some_and(|k| k > 0));
    }
}
