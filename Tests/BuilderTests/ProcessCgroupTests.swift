import Foundation
import Testing

@testable import Isolation

@Suite(.timeLimit(.minutes(15))) struct ProcessCgroupTests {
    @Test func findsTheProcessesOwnCgroups() {
        let text = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/5c70\n1:cpu,cpuacct:/x\n0::/user.slice/a\n"
        #expect(ProcessCgroup.path(of: "memory", in: text) == "/process_api/5c70")
        #expect(ProcessCgroup.path(of: "pids", in: text) == "/")
        #expect(ProcessCgroup.path(of: "cpuacct", in: text) == "/x")
        #expect(ProcessCgroup.path(of: "", in: text) == "/user.slice/a")
        #expect(ProcessCgroup.path(of: "blkio", in: text) == nil)
    }

    @Test func limitsComeFromTheEnvironment() throws {
        #expect(try ProcessCgroup.Limits.build(environment: [:]) == .init(memoryBytes: 2560 << 20, processes: 4096, cpuShares: 256))
        #expect(try ProcessCgroup.Limits.build(environment: ["OPENRUKO_BUILD_MEMORY": "200"]).memoryBytes == 200 << 20)
        #expect(throws: (any Error).self) { try ProcessCgroup.Limits.build(environment: ["OPENRUKO_BUILD_PROCESSES": "-1"]) }
    }
}
