import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// `POST /apps/{app}/dynos`: a one-off dyno, as the heroku CLI (`heroku run`, `run:detached`)
/// and heroku3 (`run_command`) ask for it: `{command, attach, size, type, env, force_no_tty,
/// time_to_live}`. Attached, the answer's `attach_url` is `rendezvous://HOST:PORT/SECRET` on
/// the rendezvous listener, HOST being the host the client addressed the API by.
extension DynoController {
    struct RunBody: Decodable {
        var command: String?
        var attach: LooseBool?
        var size: String?
        var type: String?
        var env: [String: JSONValue]?
        var force_no_tty: LooseBool?
        var time_to_live: Double?

        /// `env` as strings (numbers and booleans spelled out, nulls left out).
        func environment() throws(OpenrukoError) -> [String: String] {
            var result: [String: String] = [:]
            for (key, value) in env ?? [:] {
                switch value {
                case .string(let text): result[key] = text
                case .number(let number):
                    result[key] = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
                case .bool(let flag): result[key] = String(flag)
                case .null: continue
                case .array, .object:
                    throw OpenrukoError(.invalid, "env values must be strings (\(key) is not).", resource: "dyno")
                }
            }
            return result
        }
    }

    func registerRun(on router: Router<APIContext>) {
        router.post("/apps/:app/dynos") { request, context -> Response in
            let app = try context.parameter("app")
            let principal = try context.principal()
            let body = try await request.json(RunBody.self, context: context)
            let attach = body.attach?.value ?? false
            let env = try body.environment()
            let oneOff = OneOffRequest(
                command: body.command ?? "", size: body.size, type: body.type, env: env, attach: attach,
                timeToLive: body.time_to_live.map { Int($0.rounded(.up)) })
            var attachment: DynoAttachment?
            var attachURL: String?
            if attach {
                let (made, url) = try rendezvous(body, env: env, authority: request.head.authority)
                attachment = made
                attachURL = url
            }
            let (found, dyno) = try await environment.platform.runDyno(app, oneOff, attachment: attachment, as: principal)
            var resource = DynoResource(dyno, app: found)
            if let attachURL { resource.attach_url = Nullable(attachURL) }
            return try JSONResponse.make(resource, status: .created, for: request)
        }
    }

    /// `POST /apps/{app}/dynos/{dyno}` (the CLI's `run:inside`, Accept `version=3.run-inside`):
    /// `{command, env, force_no_tty}` run inside the running dyno, always attached; the
    /// answer is that dyno with an `attach_url`.
    func registerRunInside(on router: Router<APIContext>) {
        router.post("/apps/:app/dynos/:dyno") { request, context -> Response in
            let app = try context.parameter("app")
            let dyno = try context.parameter("dyno")
            let principal = try context.principal()
            let body = try await request.json(RunBody.self, context: context)
            let env = try body.environment()
            let oneOff = OneOffRequest(
                command: body.command ?? "", env: env, attach: true, timeToLive: body.time_to_live.map { Int($0.rounded(.up)) })
            let (attachment, attachURL) = try rendezvous(body, env: env, authority: request.head.authority)
            let found: App
            let running: Dyno
            do {
                (found, running) = try await environment.platform.runInside(app, dyno: dyno, oneOff, attachment: attachment, as: principal)
            } catch {
                attachment.hangUp()  // refused: its secret attaches to nothing
                throw error
            }
            var resource = DynoResource(running, app: found)
            resource.attach_url = Nullable(attachURL)
            return try JSONResponse.make(resource, status: .created, for: request)
        }
    }

    /// A new attachment posted on the rendezvous board, and its `rendezvous://` URL.
    private func rendezvous(_ body: RunBody, env: [String: String], authority: String?) throws(OpenrukoError) -> (DynoAttachment, String) {
        guard let board = environment.rendezvous, let port = board.port else {
            throw OpenrukoError(.unavailable, "Attached one-off dynos need the rendezvous listener, which is not running.", resource: "dyno")
        }
        let tty = !(body.force_no_tty?.value ?? false)
        let made = DynoAttachment(
            tty: tty, columns: env["COLUMNS"].flatMap { Int($0) }, lines: env["LINES"].flatMap { Int($0) }, term: env["TERM"])
        return (made, "rendezvous://\(Self.rendezvousHost(authority)):\(port)/\(board.post(made))")
    }

    /// The host of the API request's authority (`localhost:5000` → `localhost`); a loopback
    /// address becomes `localhost`, which the platform's rendezvous certificate names.
    static func rendezvousHost(_ authority: String?) -> String {
        var host = authority ?? "localhost"
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            host = String(host[host.index(after: host.startIndex)..<end])
        } else if let colon = host.lastIndex(of: ":") {
            host = String(host[..<colon])
        }
        if host.isEmpty || host == "127.0.0.1" || host == "::1" || host.hasPrefix("127.") { return "localhost" }
        return host.contains(":") ? "[\(host)]" : host
    }
}
