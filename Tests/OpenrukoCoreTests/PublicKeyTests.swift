import Foundation
import OpenrukoCore
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(15))) struct PublicKeyTests {
    @Test(arguments: ["ed25519", "ecdsa", "rsa"])
    func fingerprintMatchesSSHKeygen(_ type: String) async throws {
        let directory = TemporaryDirectory()
        let key = try await TestKey.generate(type, in: directory.path)
        let parsed = try PublicKey(parsing: key.publicKey)
        let keygen = try await ProcessRunner.run("/usr/bin/ssh-keygen", ["-lf", key.privateKeyPath + ".pub"])
        #expect(keygen.stdout.split(separator: " ")[1] == Substring(parsed.fingerprint))
        #expect(parsed.comment == "\(type)@test")
    }

    @Test func rejectsMalformedKeys() {
        let bad = [
            "", "ssh-ed25519", "ssh-ed25519 not-base64!!", "ssh-dss AAAAB3NzaC1kc3MAAACBAP", "-----BEGIN OPENSSH PRIVATE KEY-----",
            // An ed25519 type with an RSA blob.
            "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7",
            // Truncated ed25519 key.
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA",
        ]
        for line in bad {
            #expect(throws: OpenrukoError.self, "\(line)") { try PublicKey(parsing: line) }
        }
    }
}
