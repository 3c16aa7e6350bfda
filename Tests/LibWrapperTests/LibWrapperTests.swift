import Foundation
import LibGit2
import LibSSH
import OpenrukoCore
import TestSupport
import Testing

@Suite struct LibGit2Tests {
    @Test func createsAndOpensABareRepositoryOnMain() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("app.git")
        let created = try GitRepository.createBare(at: path)
        #expect(created.isBare)
        let head = try String(contentsOfFile: path + "/HEAD", encoding: .utf8)
        #expect(head == "ref: refs/heads/main\n")
        #expect(try GitRepository.openBare(at: path).commitID(of: "refs/heads/main") == nil)
        #expect(throws: GitError.self) { try GitRepository.createBare(at: path) }
    }
}

@Suite struct LibSSHTests {
    @Test func linksAndReportsItsVersion() {
        #expect(SSHLibrary.version.hasPrefix("0.10"))
    }

    @Test(arguments: ["ed25519", "ecdsa", "rsa"])
    func computesTheSameFingerprintAsTheStore(_ type: String) async throws {
        let directory = TemporaryDirectory()
        let key = try PublicKey(parsing: try await TestKey.generate(type, in: directory.path).publicKey)
        #expect(SSHLibrary.fingerprint(type: key.type, base64: key.base64) == key.fingerprint)
    }
}
