import Foundation
import SSHFrontend
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(15))) struct HostKeysTests {
    @Test func generatedOnceWithMode0600AndReadableByOpenSSH() async throws {
        let directory = TemporaryDirectory()
        let ssh = directory.appending("ssh")
        let first = try HostKeys.loadOrCreate(in: ssh)
        #expect(first.map(\.kind) == ["ed25519", "ecdsa", "rsa"])
        for key in first {
            let path = "\(ssh)/ssh_host_\(key.kind)_key"
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(path)")
            // OpenSSH's own tools accept the file and agree on the fingerprint.
            let derived = try await ProcessRunner.run("/usr/bin/ssh-keygen", ["-y", "-f", path])
            #expect(derived.status == 0, "\(derived.stderr)")
            let listed = try await ProcessRunner.run("/usr/bin/ssh-keygen", ["-l", "-f", path + ".pub"])
            #expect(listed.stdout.contains(key.fingerprint), "\(listed.stdout) vs \(key.fingerprint)")
        }
        let again = try HostKeys.loadOrCreate(in: ssh)
        #expect(again.map(\.fingerprint) == first.map(\.fingerprint), "reused on restart")
        let directoryMode = try FileManager.default.attributesOfItem(atPath: ssh)[.posixPermissions] as? Int
        #expect(directoryMode == 0o700)
    }

    @Test func aDamagedKeyIsAnErrorNotASilentNewKey() throws {
        let directory = TemporaryDirectory()
        let ssh = directory.appending("ssh")
        _ = try HostKeys.loadOrCreate(in: ssh)
        try "garbage".write(toFile: ssh + "/ssh_host_ed25519_key", atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try HostKeys.loadOrCreate(in: ssh) }
    }
}
