import Foundation
import OpenrukoCore
import Isolation

/// One run of a dyno's command in its sandbox; an attached one-off's terminal.
extension DynoDriver {
    /// One run of the command: unpack, `/app`, sandbox, clean up. Returns the exit status
    /// (128 + N when killed by signal N; 1 when it could not start). With `attachment` the
    /// command reads its stdin from the client and its output goes to the client (through a
    /// PTY made inside the sandbox when the client has a terminal), not to the log.
    static func run(
        spec: DynoSpec, instance: UUID, port: Int, namespace: String?, cgroup: ProcessCgroup?, host: DynoHost, tail: OutputTail,
        attachment: DynoAttachment?, started: @escaping @Sendable (Int32) -> Void, aborted: @Sendable () async -> Bool
    ) async -> Int32 {
        let say = { (message: String) in
            host.logs.emit(LogLine(appID: spec.app.id, source: "heroku", process: spec.name, message: message))
        }
        let fail = { (message: String) async in
            if let attachment { await attachment.output.send(Array("\(message)\r\n".utf8)) }
        }
        defer { host.filesystem.remove(instance: instance) }
        let identity = host.sandbox.identity.forApp(uid: spec.app.sandboxUID)
        let app: String
        let image = spec.image
        do {
            let archive = host.layout.slug(spec.app.name, id: spec.slug.id.uuidString.lowercased())
            var tree = try await host.trees.tree(of: spec.slug, archive: archive, identity: identity)
            if let image { tree += "/" + image.key }
            app = try await host.filesystem.prepare(
                instance: instance, slugID: spec.slug.id, tree: tree, identity: identity,
                writableBytes: DynoSize.named(spec.size).quotaBytes)
        } catch {
            say("Error: \(error.message)")
            tail.append(Data("\(error.message)\n".utf8))
            await fail(error.message)
            return 1
        }
        if await aborted() { return 143 }
        let environment = DynoEnvironment(
            app: spec.app, release: spec.release, slug: spec.slug, dyno: spec.name, port: port, instance: instance)
        var configuration = SandboxConfiguration(
            command: DynoEnvironment.launcher(spec.command), environment: environment.variables, workingDirectory: "/app",
            app: .directory(app), tmp: .tmpfs, network: true, hostname: instance.uuidString.lowercased(),
            gracePeriod: host.settings.stopGrace, identity: identity, networkNamespace: namespace)
        configuration.cgroupProcs = cgroup?.procsFiles ?? []
        configuration.publishedPort = port
        // A slug runs on the run image of the stack it was built on (the legacy one: the host's /usr).
        if image == nil {
            do {
                configuration.stack = try StackCatalog(layout: host.layout).root(of: spec.slug.stack, .run)
            } catch {
                say("Error: \(error.message)")
                tail.append(Data("\(error.message)\n".utf8))
                await fail(error.message)
                return 1
            }
        }
        // `/tmp` is memory: it counts against the dyno's memory and is never bigger than its limit.
        configuration.tmpfsSize = DynoSize.named(spec.size).limits.memoryBytes
        // The dyno's memory quota in MB, as Heroku's buildpacks' boot scripts read it to size
        // WEB_CONCURRENCY (the sandbox shows no cgroup files); a config var of that name wins.
        if configuration.environment["DYNO_RAM"] == nil {
            configuration.environment["DYNO_RAM"] = String(DynoSize.named(spec.size).quotaMB)
        }
        if let image {
            // The image's root filesystem is the dyno's `/`; a root image user is the sandbox user.
            configuration.command = image.arguments(for: spec.command)
            configuration.environment = environment.variables(image: image)
            configuration.workingDirectory = image.workingDirectory
            configuration.rootFilesystem = app
            if let uid = image.uid, uid != 0 {
                configuration.userID = uid
                configuration.groupID = image.gid ?? uid
            }
        }
        // A one-off's own variables: over the config vars, never over the platform's.
        let platform = environment.platform
        for (key, value) in spec.env where platform[key] == nil && key != "HOME" { configuration.environment[key] = value }
        // A container image gets the host's `script` and `stty` (it may have neither), read-only:
        // for an attached one-off's terminal, and for `run:inside` with a terminal later (a
        // running sandbox gets no new binds).
        let tools = image == nil ? nil : OneOffTerminal.Tools.host()
        configuration.binds += tools?.binds ?? []
        var resizes: OneOffResizeChannel?
        if let window = attachment?.window {
            if image == nil || tools != nil {
                resizes = terminal(
                    window, for: &configuration, directory: host.filesystem.directory(instance), identity: identity, boundTools: tools != nil)
            }
        }
        defer {
            attachment?.window?.onResize(nil)
            resizes?.close()
        }
        do {
            let result: SandboxResult
            if let attachment {
                result = try await host.sandbox.run(configuration, input: attachment.input, started: started) { data in
                    await attachment.output.send(Array(data))
                }
            } else {
                result = try await host.sandbox.run(configuration, started: started) { tail.append($0) }
            }
            switch result.termination {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        } catch {
            say("Error: \(error.message)")
            await fail(error.message)
            return 1
        }
    }

    /// Runs `configuration`'s command on a PTY of `window`'s size that follows its changes
    /// (through the returned FIFO, bound into the sandbox), with `TERM`, `COLUMNS` and `LINES`
    /// set (under the one-off's own variables). Without a FIFO the PTY keeps its first size.
    private static func terminal(
        _ window: TerminalWindow, for configuration: inout SandboxConfiguration, directory: String, identity: SandboxIdentity,
        boundTools: Bool
    ) -> OneOffResizeChannel? {
        let resizes = try? OneOffResizeChannel(directory: directory, identity: identity)
        if let resizes {
            configuration.binds.append(.init(resizes.path, at: OneOffTerminal.resizePath))
            window.onResize { resizes.send($0) }
        }
        // Read after listening: a change that arrives meanwhile is sent as well, never lost.
        let size = window.size
        configuration.command = OneOffTerminal(size: size, followsResizes: resizes != nil, boundTools: boundTools).wrap(configuration.command)
        configuration.environment["COLUMNS"] = String(size.columns)
        configuration.environment["LINES"] = String(size.lines)
        // A refused or missing TERM: the one-off's own `TERM`, else `dumb` (nothing assumed).
        configuration.environment["TERM"] = window.term ?? configuration.environment["TERM"] ?? "dumb"
        return resizes
    }
}
