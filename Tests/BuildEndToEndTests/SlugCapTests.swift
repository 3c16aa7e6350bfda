import Foundation
import Testing
import TestSupport

/// The real 200 MB slug cap: a buildpack that writes 221 MB of incompressible files is refused
/// with Heroku's message, the branch does not move and no release is made (a few seconds: the
/// size is measured before anything is packed).
@Suite(.serialized, .timeLimit(.minutes(15)))
struct SlugCapTests {
    @Test func aSlugOverTheRealTwoHundredMegabyteCapIsRejected() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("huge1")
        let buildpack = try await fixture.repository([
            "bin/detect": "+x #!/usr/bin/env bash\necho Huge\n",
            "bin/compile": "+x #!/usr/bin/env bash\nhead -c 220000000 /dev/urandom > \"$1/huge.bin\"\nhead -c 1000000 /dev/urandom > \"$1/small.bin\"\n",
        ], name: "buildpack")
        try await fixture.admin(["buildpacks:set", "huge1", buildpack])
        let repo = try await fixture.repository(["Procfile": "web: ./huge.bin\n"])
        let result = try await fixture.push(repo, app: "huge1")
        #expect(result.status != 0)
        #expect(result.stderr.contains(" !     Compiled slug size: 210."), "\(result.stderr)")
        #expect(result.stderr.contains("is too large (max is 200M)."))
        #expect(result.stderr.contains("./huge.bin"))
        #expect(try await fixture.ref("huge1").isEmpty)
        #expect(try await fixture.releases("huge1").count == 1)
    }
}
