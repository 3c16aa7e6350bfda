/// When the daemon should hand freed memory back to the system (issue 21): once, after a
/// burst, when it is quiet again. glibc keeps what a burst of connections freed in its arenas;
/// `malloc_trim` returns it, but a pass under load delays requests (every 10 s during a
/// 900-connection flood it took the canary's p99 to 38x). So the daemon samples itself every
/// few seconds and trims only when its memory grew since the last trim (a burst happened) and,
/// for `quietSamples` samples in a row, it used little CPU and held about as many descriptors
/// as when it was last at rest (the flood's connections are gone). A daemon that stays busy
/// in descriptors but idle in CPU (a slow flood of idle sockets, or simply more dynos) is
/// trimmed anyway after `patienceSamples` quiet-CPU samples, and that becomes its new rest.
package struct MemoryTrimPolicy: Sendable, Equatable {
    /// One look at the process.
    package struct Sample: Sendable, Equatable {
        /// Resident memory in bytes.
        package var residentBytes: Int
        /// Open file descriptors (connections, pipes, files).
        package var descriptors: Int
        /// CPU time used since the previous sample, as a fraction of the interval (1 = a core).
        package var cpuShare: Double

        package init(residentBytes: Int, descriptors: Int, cpuShare: Double) {
            self.residentBytes = residentBytes
            self.descriptors = descriptors
            self.cpuShare = cpuShare
        }
    }

    /// Growth of resident memory over the resting size that counts as a burst (and is worth a
    /// pass): the larger of this and `burstFraction` of the resting size.
    package var burstBytes = 4 << 20
    package var burstFraction = 0.05
    /// Samples in a row that must be quiet before a pass.
    package var quietSamples = 3
    /// Quiet-CPU samples after which a pass happens even with more descriptors than at rest.
    package var patienceSamples = 30
    /// CPU share under which a sample is quiet.
    package var quietCPUShare = 0.25
    /// Descriptors over the resting count still taken as at rest: the larger of this and
    /// `descriptorFraction` of the resting count.
    package var descriptorSlack = 16
    package var descriptorFraction = 0.10

    /// Resident size and descriptors at the last rest (the first sample, then after each pass).
    package private(set) var rest: Sample?
    private var quietRun = 0
    private var calmCPURun = 0

    package init() {}

    /// Takes a sample; true when a pass should run now (then call `trimmed(after:)`).
    package mutating func observe(_ sample: Sample) -> Bool {
        guard let rest else {
            self.rest = sample
            return false
        }
        let cpuQuiet = sample.cpuShare < quietCPUShare
        let descriptorsAtRest =
            sample.descriptors <= rest.descriptors + max(descriptorSlack, Int(Double(rest.descriptors) * descriptorFraction))
        calmCPURun = cpuQuiet ? calmCPURun + 1 : 0
        quietRun = cpuQuiet && descriptorsAtRest ? quietRun + 1 : 0
        let grown = sample.residentBytes - rest.residentBytes >= max(burstBytes, Int(Double(rest.residentBytes) * burstFraction))
        if sample.residentBytes < rest.residentBytes {
            // Smaller than ever at rest (a pass, or the allocator itself): the new reference.
            self.rest = Sample(residentBytes: sample.residentBytes, descriptors: rest.descriptors, cpuShare: 0)
        }
        guard grown else { return false }
        return quietRun >= quietSamples || calmCPURun >= patienceSamples
    }

    /// A pass ran: what the process looks like now is its rest.
    package mutating func trimmed(after sample: Sample) {
        rest = sample
        quietRun = 0
        calmCPURun = 0
    }
}
