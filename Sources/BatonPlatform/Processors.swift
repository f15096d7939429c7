import CLinux

/// The processors this process may use.
public enum Processors {
    /// CPUs in the process's affinity mask (what `taskset` or a container's cpuset allows, which
    /// may be fewer than the machine has); at least 1.
    public static var usable: Int { max(1, Int(baton_usable_cpus())) }
}
