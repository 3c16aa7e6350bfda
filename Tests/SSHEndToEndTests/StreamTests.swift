import Foundation
import TestSupport
import Testing

/// 100 MiB of random data up, down and echoed through the channel pump, byte-exact, with
/// a slow reader on the client side. The test server adds `cat`, `sha256` and `readfile`
/// to the command table; they run on the same pipes and the same pump as git, so these
/// tests guard pushes against the pump's ordering bugs (swift-c-interop-notes P1, P2).
@Suite(.serialized, .timeLimit(.minutes(15))) struct StreamTests {
    static let testServer = OpenrukoBinary.packageRoot + "/.build/debug/openruko-ssh-testserver"

    /// Reads stdin slowly (small reads, and a long pause every 8 MiB so the SSH window
    /// closes), then prints the SHA-256 and the byte count.
    static let slowReader = """
        import sys, hashlib, time
        h = hashlib.sha256(); n = 0; f = sys.stdin.buffer; pause = 8 << 20
        while True:
            b = f.read1(32768)
            if not b: break
            h.update(b); n += len(b)
            if n >= pause:
                pause += 8 << 20; time.sleep(0.3)
            else:
                time.sleep(0.0002)
        print(h.hexdigest(), n)
        """

    func withServer(
        mebibytes: Int = 100, _ body: (Testbed, SSHClient, (path: String, sha256: String)) async throws -> Void
    ) async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        let file = try await bed.randomFile("random.bin", mebibytes: mebibytes)
        try await DaemonProcess.with(executable: Self.testServer, subcommand: ["serve"], dataDir: bed.data) { daemon in
            try await body(bed, SSHClient(port: daemon.sshPort, key: key), file)
        }
    }

    @Test func uploadIsByteExact() async throws {
        try await withServer { bed, ssh, file in
            let result = try await bed.shell("ssh \(ssh.options.joined(separator: " ")) git@127.0.0.1 sha256 < \(file.path)")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == file.sha256 + "\n")
        }
    }

    @Test func uploadToASlowServerSideReaderIsByteExact() async throws {
        try await withServer { bed, ssh, file in
            // The program reads slowly: client bytes wait in the server when the client's EOF
            // arrives, and must all be delivered before the program's stdin is closed.
            let result = try await bed.shell("ssh \(ssh.options.joined(separator: " ")) git@127.0.0.1 sha256 --slow < \(file.path)")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == file.sha256 + "\n")
        }
    }

    @Test func anEOFBehindBytesThatDoNotFitYetLosesNothing() async throws {
        try await withServer(mebibytes: 1) { bed, ssh, _ in
            // The program's pipe (256 KiB) fills while it sleeps; the rest of the upload and
            // the client's EOF then arrive together and must wait for the program to read.
            for kib in [260, 300, 400, 700] {
                let file = bed.directory.appending("small-\(kib).bin")
                let made = try await bed.shell("head -c \(kib * 1024) /dev/urandom > \(file) && sha256sum \(file)")
                let expected = String(made.stdout.prefix(64))
                let result = try await bed.shell(
                    "ssh \(ssh.options.joined(separator: " ")) git@127.0.0.1 sha256 --start-delay 1000 < \(file)")
                #expect(result.stdout == expected + "\n", "\(kib) KiB: \(result.stderr)")
            }
        }
    }

    @Test func downloadToASlowReaderIsByteExact() async throws {
        try await withServer { bed, ssh, file in
            let reader = try bed.script("slow.py", Self.slowReader)
            let result = try await bed.shell(
                "ssh \(ssh.options.joined(separator: " ")) git@127.0.0.1 readfile \(file.path) < /dev/null | python3 \(reader)")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "\(file.sha256) \(100 << 20)\n")
        }
    }

    @Test func echoToASlowReaderIsByteExact() async throws {
        try await withServer { bed, ssh, file in
            let reader = try bed.script("slow.py", Self.slowReader)
            // The client pushes 100 MiB while its output is read slowly: the server must
            // keep reading input while output is blocked, and never reorder either stream.
            let result = try await bed.shell(
                "ssh \(ssh.options.joined(separator: " ")) git@127.0.0.1 cat < \(file.path) | python3 \(reader)")
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "\(file.sha256) \(100 << 20)\n")
        }
    }
}
