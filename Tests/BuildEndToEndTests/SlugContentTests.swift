import Foundation
import Testing
import TestSupport

/// What ends up in the slug: `.slugignore` applied before the build, Procfile warnings,
/// exec bits and symlinks kept, no `.git`.
@Suite(.serialized, .timeLimit(.minutes(15))) struct SlugContentTests {
    @Test func slugignoreIsAppliedBeforeTheBuildpacksRun() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("ignore1")
        let repo = try await fixture.repository([
            ".slugignore": "# build-only files\n/test\n*.psd\nspec\n",
            "Procfile": "web: ./run.sh\n",
            "run.sh": "+x #!/bin/sh\necho hi\n",
            "test/unit.txt": "x", "lib/test/keep.txt": "x", "art.psd": "x", "assets/deep/logo.psd": "x",
            "spec/a_spec.rb": "x", "lib/spec/b_spec.rb": "x", "keep.txt": "x",
        ])
        symlink("keep.txt", repo + "/link.txt")
        try await fixture.commit(repo, "symlink")
        let result = try await fixture.push(repo, app: "ignore1")
        #expect(result.status == 0, "\(result.stderr)")
        let entries = Set(try await fixture.entries(ofSlug: try await fixture.latestSlug("ignore1")))
        for kept in ["./", "./keep.txt", "./lib/test/keep.txt", "./run.sh", "./link.txt", "./.slugignore"] {
            #expect(entries.contains(kept), "\(kept) missing from \(entries.sorted())")
        }
        for removed in ["./test/", "./test/unit.txt", "./art.psd", "./assets/deep/logo.psd", "./spec/", "./lib/spec/", "./.git/"] {
            #expect(!entries.contains(removed), "\(removed) should not be in the slug")
        }
        let listing = try await ProcessRunner.run("/usr/bin/tar", ["-tvzf", try await fixture.latestSlug("ignore1")])
        #expect(listing.stdout.contains("-rwxr-xr-x root/root"))
        #expect(listing.stdout.contains("./link.txt -> keep.txt"))
        #expect(!listing.stdout.contains("61000"))
    }

    @Test func malformedProcfileLinesAreWarnedAndTheLastDuplicateWins() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("procs1")
        let repo = try await fixture.repository([
            "Procfile": "# processes\r\n  web: ./old.sh\r\nthis line is junk\r\nworker:    ./work.sh  \r\n<<<<<<< HEAD\r\nweb: ./run.sh # inline\r\n\r\n",
            "run.sh": "+x #!/bin/sh\necho hi\n",
        ])
        let result = try await fixture.push(repo, app: "procs1")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains(" !     Warning: Procfile line 3 is not \"type: command\" and was ignored: \"this line is junk\""))
        #expect(result.stderr.contains(" !     Warning: Procfile line 5 is not \"type: command\""))
        #expect(result.stderr.contains(" !     Warning: Procfile declares web more than once; the last one (line 6) wins."))
        #expect(result.stderr.contains("Procfile declares types     -> web, worker"))
    }
}
