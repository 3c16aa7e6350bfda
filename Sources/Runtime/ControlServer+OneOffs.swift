import Foundation
import OpenrukoCore

extension ControlServer {
    /// `runOneOff`/`runInside` for `openruko ssh-command` (OpenSSH mode). The caller has
    /// authorized the request through its `Platform` (the key's user, as over the embedded
    /// server); here the runtime starts it. Detached: the dyno is the answer. Attached: the
    /// attachment is posted on the rendezvous board, a `ticket` reply tells the caller where
    /// to connect, and the final reply carries the process's exit status; the caller closing
    /// this connection hangs the attachment up (the process stops).
    /// `attached` hears of the attachment's window (a terminal), which the caller's window
    /// changes resize.
    func runOneOff(
        _ request: ControlRequest, progress: @escaping @Sendable (ControlReply) -> Void,
        attached: @escaping @Sendable (TerminalWindow) -> Void = { _ in }
    ) async throws(OpenrukoError) -> ControlReply {
        guard let plan = request.plan, request.operation == .runInside || (request.release != nil && request.slug != nil) else {
            throw OpenrukoError(.invalid, "\(request.operation.rawValue) needs a plan, a release and a slug.")
        }
        var reply = ControlReply(done: true)
        guard let attach = request.attach else {
            guard request.operation == .runOneOff, let release = request.release, let slug = request.slug else {
                throw OpenrukoError(.invalid, "run:inside is always attached.")
            }
            reply.dynos = [try await runtime.runOneOff(request.app, release: release, slug: slug, plan: plan, attachment: nil)]
            return reply
        }
        guard let door, let port = door.board.port else {
            throw OpenrukoError(.unavailable, "Attached one-off dynos need the rendezvous listener, which is not running.", resource: "dyno")
        }
        let attachment = DynoAttachment(tty: attach.tty, columns: attach.columns, lines: attach.lines, term: attach.term)
        if let window = attachment.window { attached(window) }
        let dyno: Dyno
        do throws(OpenrukoError) {
            switch request.operation {
            case .runInside:
                guard let target = request.target else { throw OpenrukoError(.invalid, "runInside needs a target dyno.") }
                dyno = try await runtime.runInside(request.app, dyno: target, plan: plan, attachment: attachment)
            default:
                guard let release = request.release, let slug = request.slug else { throw OpenrukoError(.invalid, "runOneOff needs a release.") }
                dyno = try await runtime.runOneOff(request.app, release: release, slug: slug, plan: plan, attachment: attachment)
            }
        } catch {
            attachment.hangUp()
            throw error
        }
        var ticket = ControlReply()
        ticket.dynos = [dyno]
        ticket.ticket = ControlTicket(host: door.host, port: port, secret: door.board.post(attachment), certificate: door.certificate)
        progress(ticket)
        // The status, or 255 once the caller went away (a hung-up process may never report one).
        let (ended, continuation) = AsyncStream<Int32>.makeStream()
        Task {
            continuation.yield(await attachment.exitStatus())
            continuation.finish()
        }
        reply.exitStatus = await withTaskCancellationHandler {
            for await status in ended { return status }
            return 255
        } onCancel: {
            attachment.hangUp()
            continuation.finish()
        }
        return reply
    }
}
