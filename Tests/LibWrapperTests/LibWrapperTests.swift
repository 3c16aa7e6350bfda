import Foundation
import LibGit2
import LibSSH
import OpenrukoCore
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(15))) struct LibGit2Tests {
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

@Suite(.timeLimit(.minutes(15))) struct LibSSHTests {
    @Test func linksAndReportsItsVersion() {
        // Whatever libssh the machine has: the wrapper reads its version (MAJOR.MINOR.PATCH).
        let parts = SSHLibrary.version.split(separator: "/").first?.split(separator: ".") ?? []
        #expect(parts.count >= 2 && parts.prefix(2).allSatisfy { Int($0) != nil }, "\(SSHLibrary.version)")
    }

    @Test(arguments: ["ed25519", "ecdsa", "rsa"])
    func computesTheSameFingerprintAsTheStore(_ type: String) async throws {
        let directory = TemporaryDirectory()
        let key = try PublicKey(parsing: try await TestKey.generate(type, in: directory.path).publicKey)
        #expect(SSHLibrary.fingerprint(type: key.type, base64: key.base64) == key.fingerprint)
    }
}

@Suite(.timeLimit(.minutes(15))) struct AsyncPipeTests {
    @Test func bytesArriveInOrderThroughASmallQueueAndEndWithEOF() async throws {
        let pipe = try PipePair()
        let writer = AsyncPipeWriter(descriptor: pipe.writeEnd, limit: 64 << 10)
        let reader = AsyncPipeReader(descriptor: pipe.readEnd, chunk: 4096)
        let payload = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) })
        async let sent: Void = {
            var offset = 0
            while offset < payload.count {
                let end = min(offset + 200_000, payload.count)
                try await writer.send(payload[offset..<end])
                writer.enqueue(Data())
                offset = end
            }
            await writer.finish()
        }()
        var received = Data()
        while let chunk = await reader.read() { received.append(chunk) }
        try await sent
        #expect(received == payload)
    }

    @Test func aWriterLearnsThatTheReaderIsGone() async throws {
        signal(SIGPIPE, SIG_IGN)
        let pipe = try PipePair()
        let writer = AsyncPipeWriter(descriptor: pipe.writeEnd)
        AsyncPipeReader(descriptor: pipe.readEnd).close()
        await #expect(throws: AsyncPipeWriter.Closed.self) {
            for _ in 0..<64 { try await writer.send(Data(count: 1 << 20)) }
        }
        await writer.finish()
    }
}

@Suite(.timeLimit(.minutes(15))) struct SSHKeyPairTests {
    @Test(arguments: SSHKeyPair.Kind.allCases)
    func exportsWhatItImports(_ kind: SSHKeyPair.Kind) throws {
        let key = try SSHKeyPair.generate(kind)
        let again = try SSHKeyPair(privateKeyText: key.privateKeyText())
        #expect(again.fingerprint == key.fingerprint)
        let line = try key.publicKeyLine()
        let parsed = try PublicKey(parsing: line)
        #expect(parsed.fingerprint == key.fingerprint)
        #expect(throws: SSHError.self) { try SSHKeyPair(privateKeyText: "not a key") }
    }
}
