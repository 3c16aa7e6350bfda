import OpenrukoCore
import Testing

/// The trimmer's decision (issue 21): one pass after a burst, once the daemon is quiet again;
/// never while the flood's connections are open or the CPU is busy, unless that lasts.
@Suite(.timeLimit(.minutes(1))) struct MemoryTrimPolicyTests {
    static func sample(_ mb: Int, fds: Int = 40, cpu: Double = 0.02) -> MemoryTrimPolicy.Sample {
        MemoryTrimPolicy.Sample(residentBytes: mb << 20, descriptors: fds, cpuShare: cpu)
    }

    /// The policy's answers to `samples`, in order.
    static func feed(_ policy: inout MemoryTrimPolicy, _ samples: [MemoryTrimPolicy.Sample]) -> [Bool] {
        samples.map { policy.observe($0) }
    }

    @Test func trimsOnceWhenQuietAfterABurst() {
        var policy = MemoryTrimPolicy()
        // At rest, then a flood: more memory, 900 more descriptors, some CPU then little.
        let flood = [Self.sample(64), Self.sample(80, fds: 940, cpu: 0.9)] + Array(repeating: Self.sample(82, fds: 940), count: 5)
        #expect(Self.feed(&policy, flood).allSatisfy { !$0 })
        // It ends: quiet for three samples, then one pass.
        #expect(Self.feed(&policy, Array(repeating: Self.sample(82), count: 3)) == [false, false, true])
        policy.trimmed(after: Self.sample(68))
        #expect(Self.feed(&policy, Array(repeating: Self.sample(68), count: 10)).allSatisfy { !$0 })
    }

    @Test func busyCPUPostponesThePass() {
        var policy = MemoryTrimPolicy()
        #expect(Self.feed(&policy, [Self.sample(64)] + Array(repeating: Self.sample(90, cpu: 0.8), count: 40)).allSatisfy { !$0 })
        #expect(Self.feed(&policy, Array(repeating: Self.sample(90), count: 3)) == [false, false, true])
    }

    @Test func noBurstNoPass() {
        var policy = MemoryTrimPolicy()
        #expect(Self.feed(&policy, [Self.sample(64)] + Array(repeating: Self.sample(66), count: 50)).allSatisfy { !$0 })
    }

    @Test func descriptorsThatStayUpAreTheNewRestAfterThePatience() {
        var policy = MemoryTrimPolicy()
        _ = policy.observe(Self.sample(64))
        let answers = Self.feed(&policy, Array(repeating: Self.sample(90, fds: 600), count: policy.patienceSamples))
        #expect(answers.filter { $0 }.count == 1 && answers.last == true)
        policy.trimmed(after: Self.sample(88, fds: 600))
        #expect(Self.feed(&policy, Array(repeating: Self.sample(88, fds: 600), count: 10)).allSatisfy { !$0 })
    }
}
