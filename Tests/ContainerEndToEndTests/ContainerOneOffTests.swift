import Foundation
import TestSupport
import Testing

/// One-off dynos of a Dockerfile app (a busybox image: no `script`, no libc): `ssh -t … run`
/// gets a PTY of the sandbox's own like a slug app's (the host's `script` and `stty` are bound
/// in read-only); without `-t` a plain pipe; and `run:inside` joins its running web dyno, on a
/// PTY under `-t` as well.
@Suite(.timeLimit(.minutes(15))) struct ContainerOneOffTests {
    @Test func dockerfileAppsGetATerminalUnderSSHT() async throws {
        let fixture = try await ContainerFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.admin(["apps:create", "boxed"])
        try await fixture.admin(["apps:container-builds", "boxed", "on"])
        let repo = try await fixture.repository([
            "Dockerfile": """
                FROM \(ContainerFixture.baseImage)
                COPY www /srv/www
                WORKDIR /srv
                CMD exec httpd -f -p "$PORT" -h www
                """,
            "www/index.html": "boxed\n",
        ])
        let push = try await fixture.push(repo, app: "boxed")
        #expect(push.status == 0, "\(push.stderr)")
        try await fixture.eventually("boxed serves") { try await fixture.routed("boxed")?.status == 200 }

        // ssh -tt: a pts (the sandbox's own), a size, the image's shell; the status is ssh's.
        let tty = try await fixture.ssh.run(#"run boxed 'echo "tty=[$(tty)] size=[$(stty size)] pwd=[$(pwd)]"; exit 4'"#, extra: ["-tt"])
        #expect(tty.status == 4, "\(tty.stdout) \(tty.stderr)")
        #expect(tty.stdout.range(of: #"tty=\[/dev/pts/[0-9]+\] size=\[24 80\] pwd=\[/srv\]"#, options: .regularExpression) != nil, "\(tty.stdout)")
        // The host's tools are not writable from the dyno.
        let tools = try await fixture.ssh.run("run boxed 'echo x > /dev/openruko-tty/script && echo WROTE'", extra: ["-tt"])
        #expect(!tools.stdout.contains("WROTE"), "\(tools.stdout)")
        // Without -t: a pipe.
        let plain = try await fixture.ssh.run("run boxed 'tty; exit 6'")
        #expect(plain.status == 6 && plain.stdout.contains("not a tty"), "\(plain.stdout)")
        // run:inside joins the running web dyno: without -t through pipes ...
        let inside = try await fixture.ssh.run("run:inside boxed web.1 'echo \"in=$DYNO $(pwd)\"; ls /srv/www; tty || true'")
        #expect(inside.status == 0 && inside.stdout.contains("in=web.1 /srv") && inside.stdout.contains("index.html"), "\(inside.stdout) \(inside.stderr)")
        #expect(inside.stdout.contains("not a tty"), "\(inside.stdout)")
        // ... and with -t on a pts of the dyno's own (the host's tools are bound into every image dyno).
        let insideTTY = try await fixture.ssh.run(
            #"run:inside boxed web.1 'echo "in-tty=[$(tty)] size=[$(stty size)] cols=[$COLUMNS]"; exit 3'"#, extra: ["-tt"])
        #expect(insideTTY.status == 3, "\(insideTTY.stdout) \(insideTTY.stderr)")
        #expect(
            insideTTY.stdout.range(of: #"in-tty=\[/dev/pts/[0-9]+\] size=\[24 80\] cols=\[80\]"#, options: .regularExpression) != nil,
            "\(insideTTY.stdout)")
    }
}
