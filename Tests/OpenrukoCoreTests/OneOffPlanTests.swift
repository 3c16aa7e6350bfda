import OpenrukoCore
import Testing

@Suite(.timeLimit(.minutes(2))) struct OneOffPlanTests {
    let sizes = ["eco", "basic", "standard-1X", "standard-2X", "performance-M", "performance-L"]
    let procfile = ["web": "python3 server", "worker": "python3 w.py", "release": "./migrate"]

    @Test func aProcfileTypeAsFirstWordIsReplacedByItsCommand() throws {
        let plan = try OneOffPlan(OneOffRequest(command: "worker 42", attach: false), processTypes: procfile, sizes: sizes)
        #expect(plan.command == "python3 w.py 42")
        #expect(plan.type == "run" && plan.size == "standard-1X")
        let release = try OneOffPlan(OneOffRequest(command: "release", attach: false), processTypes: procfile, sizes: sizes)
        #expect(release.command == "release", "the release command is never substituted")
    }

    @Test func sizesAreCanonicalAndUnknownOnesRefused() throws {
        let plan = try OneOffPlan(OneOffRequest(command: "bash", size: "STANDARD-2x", attach: true), processTypes: [:], sizes: sizes)
        #expect(plan.size == "standard-2X")
        #expect(throws: OpenrukoError.self) {
            try OneOffPlan(OneOffRequest(command: "bash", size: "galactic", attach: true), processTypes: [:], sizes: sizes)
        }
    }

    @Test func badCommandsTypesAndEnvironmentsAreRefused() {
        let bad: [OneOffRequest] = [
            OneOffRequest(command: "  ", attach: true),
            OneOffRequest(command: "a\0b", attach: true),
            OneOffRequest(command: "bash", type: "web", attach: true),
            OneOffRequest(command: "bash", type: "nope", attach: true),
            OneOffRequest(command: "bash", env: ["A B": "1"], attach: true),
            OneOffRequest(command: "bash", env: ["A=B": "1"], attach: true),
            OneOffRequest(command: "bash", env: ["A": "x\0y"], attach: true),
            OneOffRequest(command: "bash", env: ["BIG": String(repeating: "x", count: 40_000)], attach: true),
            OneOffRequest(command: "bash", attach: true, timeToLive: 0),
        ]
        for request in bad {
            #expect(throws: OpenrukoError.self, "\(request)") { try OneOffPlan(request, processTypes: procfile, sizes: sizes) }
        }
    }

    @Test func ldPreloadIsAnOrdinaryVariableOfTheSandboxedProcess() throws {
        let plan = try OneOffPlan(OneOffRequest(command: "env", env: ["LD_PRELOAD": "/app/x.so"], attach: true), processTypes: [:], sizes: sizes)
        #expect(plan.env["LD_PRELOAD"] == "/app/x.so")
    }
}

@Suite(.timeLimit(.minutes(2))) struct ByteChannelTests {
    @Test(.timeLimit(.minutes(1))) func chunksArriveInOrderAndFinishEndsTheStream() async {
        let channel = ByteChannel(limit: 4)
        let writer = Task {
            for index in 0..<100 { await channel.send([UInt8(index)]) }
            channel.finish()
        }
        var seen: [UInt8] = []
        while let chunk = await channel.next() { seen += chunk }
        await writer.value
        #expect(seen == (0..<100).map(UInt8.init))
    }

    @Test(.timeLimit(.minutes(1))) func closeWakesABlockedWriter() async {
        let channel = ByteChannel(limit: 2)
        await channel.send([1, 2])  // at the limit: the next send waits
        let writer = Task { await channel.send([3]) }
        channel.close()
        await writer.value
        #expect(await channel.next() == nil)
    }
}
