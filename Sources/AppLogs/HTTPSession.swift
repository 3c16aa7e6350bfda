import Foundation
import NIOCore
import NIOHTTP1
import OpenrukoCore

/// One keep-alive connection of an `https://` / `http://` drain: batches POSTed as
/// `application/logplex-1`, as Logplex does, each retried (same `Logplex-Frame-Id`) until
/// the endpoint answers 2xx.
struct HTTPSession {
    let url: DrainURL
    let token: String
    let tls: DrainTLS

    /// How long the endpoint may take to answer one POST.
    static let answerTimeout = TimeAmount.seconds(30)

    func run(_ worker: DrainWorker) async throws {
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> = try await tls.connect(to: url) { channel in
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            // A drain that stops answering is dropped and reconnected.
            try channel.pipeline.syncOperations.addHandlers(IdleStateHandler(readTimeout: Self.answerTimeout), CloseWhenIdle())
        }
        try await channel.executeThenClose { inbound, outbound in
            var responses = inbound.makeAsyncIterator()
            while let batch = await worker.nextBatch() {
                var body = ByteBuffer()
                var count = 0
                for line in batch {
                    guard let frame = SyslogFrame.logplex(line) else { continue }
                    body.writeString(frame)
                    count += 1
                }
                // One write: a server that answers and closes at once (HTTP/1.0) must not make
                // a delivered batch look failed (it would be sent twice).
                try await outbound.write(contentsOf: [
                    .head(head(count: count, bytes: body.readableBytes, frameID: worker.frameID)), .body(.byteBuffer(body)), .end(nil),
                ])
                let (status, keepAlive) = try await answer(&responses)
                guard (200..<300).contains(status) else { throw DrainFailure("The drain answered \(status).") }
                worker.confirm(batch.count)
                if !keepAlive { return }
            }
        }
    }

    private func head(count: Int, bytes: Int, frameID: String) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.port == url.kind.defaultPort ? url.host : "\(url.host):\(url.port)")
        headers.add(name: "Content-Type", value: "application/logplex-1")
        headers.add(name: "Content-Length", value: String(bytes))
        headers.add(name: "Logplex-Msg-Count", value: String(count))
        headers.add(name: "Logplex-Frame-Id", value: frameID)
        headers.add(name: "Logplex-Drain-Token", value: token)
        headers.add(name: "User-Agent", value: "Logplex/openruko")
        if let credentials = url.credentials {
            headers.add(name: "Authorization", value: "Basic " + Data(credentials.removingPercentEncoding?.utf8 ?? credentials.utf8).base64EncodedString())
        }
        return HTTPRequestHead(version: .http1_1, method: .POST, uri: url.target, headers: headers)
    }

    /// Reads one response: its status and whether the connection stays open.
    private func answer(
        _ responses: inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    ) async throws -> (Int, Bool) {
        var status = 0
        var keepAlive = true
        while true {
            guard let part = try await responses.next() else { throw DrainFailure("The drain closed the connection.") }
            switch part {
            case .head(let head):
                status = Int(head.status.code)
                keepAlive = head.isKeepAlive
            case .body:
                continue
            case .end:
                if status >= 200 { return (status, keepAlive) }  // 1xx: the real answer follows
            }
        }
    }
}

/// Closes a connection on which nothing was read for the idle timeout.
final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
