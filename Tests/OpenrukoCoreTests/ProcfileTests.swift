import OpenrukoCore
import Testing

@Suite(.timeLimit(.minutes(15))) struct ProcfileTests {
    @Test func parsesTheUsualShapes() {
        let procfile = Procfile(parsing: "web: gunicorn app:app\nworker: python worker.py --queue default\n")
        #expect(procfile.entries.map(\.type) == ["web", "worker"])
        #expect(procfile.processTypes["worker"] == "python worker.py --queue default")
        #expect(procfile.warnings.isEmpty)
    }

    @Test func toleratesCRLFCommentsLeadingSpacesAndBlankLines() {
        let procfile = Procfile(parsing: "# comment\r\n\r\n   web:bundle exec puma  \r\n\t# indented comment\r\nclock_1 :  ./clock # inline stays\r\n")
        #expect(procfile.processTypes == ["web": "bundle exec puma", "clock_1": "./clock # inline stays"])
        #expect(procfile.warnings.isEmpty)
    }

    @Test func lastDuplicateWinsWithAWarning() {
        let procfile = Procfile(parsing: "web: one\nworker: w\nweb: two\n")
        #expect(procfile.types == ["web", "worker"])
        #expect(procfile.processTypes["web"] == "two")
        #expect(procfile.warnings == ["Procfile declares web more than once; the last one (line 3) wins."])
    }

    @Test func junkLinesAreWarnedNotSilent() {
        let procfile = Procfile(parsing: "web: ok\n<<<<<<< HEAD\nweb python x\nbad name: x\nempty:\nrun: rake\n")
        #expect(procfile.processTypes == ["web": "ok"])
        #expect(procfile.warnings.count == 5)
        #expect(procfile.warnings[0].hasPrefix("Procfile line 2 is not \"type: command\""))
        #expect(procfile.warnings[4].contains("\"run\", which is reserved"))
    }

    @Test func longTypeNamesAreRejected() {
        let name = String(repeating: "a", count: 64)
        #expect(Procfile(parsing: "\(name): x\n").entries.isEmpty)
        #expect(Procfile(parsing: "\(name.dropLast()): x\n").entries.count == 1)
    }

    @Test func emptyFileHasNoTypes() {
        #expect(Procfile(parsing: "").entries.isEmpty)
        #expect(Procfile(parsing: "").warnings.isEmpty)
    }
}
