import Foundation
package import OpenrukoCore

extension ControlClient {
    /// Starts a one-off in the daemon (`run`, `run:detached` in `openruko ssh-command`): the
    /// platform of this process has authorized it; attached, this process carries its bytes
    /// (`RendezvousBridge`) and its exit status comes back over the control socket.
    package func runOneOff(_ app: App, release: Release, slug: Slug, plan: OneOffPlan, attachment: DynoAttachment?)
        async throws(OpenrukoError) -> Dyno
    {
        var request = ControlRequest(.runOneOff, app: app)
        request.release = release
        request.slug = slug
        request.plan = plan
        return try await oneOff(request, attachment: attachment)
    }

    /// Starts a process inside the daemon's running dyno `dyno` (`run:inside`), attached as `runOneOff`.
    package func runInside(_ app: App, dyno: String, plan: OneOffPlan, attachment: DynoAttachment) async throws(OpenrukoError) -> Dyno {
        var request = ControlRequest(.runInside, app: app)
        request.target = dyno
        request.plan = plan
        return try await oneOff(request, attachment: attachment)
    }

    private func oneOff(_ request: ControlRequest, attachment: DynoAttachment?) async throws(OpenrukoError) -> Dyno {
        var request = request
        let missing = OpenrukoError(.internal, "The daemon did not say which dyno it started.")
        guard let attachment else {
            guard let dyno = try await required(request).dynos?.first else { throw missing }
            return dyno
        }
        let window = attachment.window
        request.attach = ControlAttach(tty: attachment.tty, columns: window?.size.columns, lines: window?.size.lines, term: window?.term)
        let (tickets, ticketed) = AsyncStream<ControlReply>.makeStream()
        // The client's window changes follow the request on the same connection.
        let (resizes, resized) = AsyncStream<Data>.makeStream(bufferingPolicy: .bufferingNewest(16))
        if attachment.tty, let window {
            window.onResize { size in resized.yield(ControlCoding.line(ControlResize(columns: size.columns, lines: size.lines))) }
        }
        let call = Task {
            let result = await self.call(request, progress: { ticketed.yield($0) }, followUps: resizes, output: { _ in })
            window?.onResize(nil)
            resized.finish()
            ticketed.finish()
            return result
        }
        var waiting = tickets.makeAsyncIterator()
        guard let first = await waiting.next(), let ticket = first.ticket, let dyno = first.dynos?.first else {
            let result = await call.value
            _ = try Self.outcome(result)
            call.cancel()
            throw missing
        }
        Task { await Self.attach(attachment, ticket: ticket, call: call) }
        return dyno
    }

    /// Once the client claims `attachment`: its bytes over the rendezvous connection, then the
    /// exit status the daemon reports (255 when the daemon or the listener went away).
    private static func attach(
        _ attachment: DynoAttachment, ticket: ControlTicket, call: Task<Result<ControlReply, CallError>, Never>
    ) async {
        guard await attachment.waitForConnection(timeout: .seconds(60)) else {
            call.cancel()  // the daemon hangs the process up
            return
        }
        let bridge = Task { try await RendezvousBridge(ticket: ticket, attachment: attachment).pump() }
        attachment.onHangUp {
            bridge.cancel()
            call.cancel()
        }
        do {
            try await bridge.value
        } catch {
            if !Task.isCancelled { await attachment.output.send(Array("Cannot attach to the one-off dyno: \(error)\r\n".utf8)) }
            call.cancel()
        }
        let status: Int32
        switch await call.value {
        case .success(let reply): status = reply.exitStatus ?? 255
        case .failure: status = 255
        }
        attachment.finish(status: status)
    }

    /// The reply of a finished call, or its error.
    static func outcome(_ result: Result<ControlReply, CallError>) throws(OpenrukoError) -> ControlReply {
        switch result {
        case .success(let reply):
            if let error = reply.error { throw error }
            return reply
        case .failure(.noDaemon):
            throw OpenrukoError(.unavailable, "The openruko daemon is not running, so there are no dynos. Start it with 'openruko daemon'.")
        case .failure(.broken(let why)):
            throw OpenrukoError(.unavailable, "Lost the openruko daemon: \(why)")
        }
    }
}
