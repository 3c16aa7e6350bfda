import Foundation
import HTTPTypes
import HummingbirdCore
import NIOCore
import OpenrukoCore
import Testing
import TestSupport

@testable import PlatformAPI

@Suite("Range headers", .timeLimit(.minutes(15)))
struct RangeTests {
    @Test("the heroku CLI's and heroku3's forms parse")
    func clientForms() throws {
        let cli = try ListRange(parsing: "version ..; max=15, order=desc")
        #expect(cli == ListRange(field: "version", max: 15, descending: true))
        #expect(try ListRange(parsing: "version ..; order=desc,max=1") == ListRange(field: "version", max: 1, descending: true))
        #expect(try ListRange(parsing: "id ..; max=1000;") == ListRange(field: "id", max: 1000))
        #expect(try ListRange(parsing: "id ..; ;") == ListRange(field: "id"))
        #expect(try ListRange(parsing: "domain ..; ;").field == "domain")
        #expect(try ListRange(parsing: "") == ListRange())
        #expect(try ListRange(parsing: nil) == ListRange())
    }

    @Test("bounds, exclusive starts and unknown options")
    func bounds() throws {
        let range = try ListRange(parsing: "version ]5..9; max=2, order=asc, colour=blue")
        #expect(range == ListRange(field: "version", start: "5", startExclusive: true, end: "9", max: 2))
        #expect(try ListRange(parsing: "name web1..").start == "web1")
        #expect(try ListRange(parsing: "id ..; max=5000").max == ListRange.maximumPageSize)
    }

    @Test("bad max or order is a 400", arguments: ["id ..; max=abc", "id ..; max=0", "id ..; max=-3", "id ..; order=up"])
    func bad(header: String) {
        #expect(throws: APIError.self) { try ListRange(parsing: header) }
        do {
            _ = try ListRange(parsing: header)
        } catch {
            #expect(error.status == .badRequest && error.id == "bad_request")
        }
    }

    @Test("Next-Range round-trips and pages cover the list exactly once")
    func paging() throws {
        let pager = Pager<Int>([("n", { .integer($0) })])
        var range = try ListRange(parsing: "n ..; max=3, order=desc")
        var seen: [Int] = []
        var pages = 0
        while true {
            let page = try pager.page(Array(1...10), range: range)
            seen += page.items
            pages += 1
            guard let next = page.headers[.nextRange] else {
                #expect(page.status == .ok)
                break
            }
            #expect(page.status == .partialContent)
            range = try ListRange(parsing: next)
        }
        #expect(seen == Array((1...10).reversed()))
        #expect(pages == 4)
    }

    @Test("an unknown field falls back to the default order")
    func unknownField() throws {
        let pager = Pager<Int>([("n", { .integer($0) })])
        let page = try pager.page([3, 1, 2], range: ListRange(parsing: "domain zz..; ;"))
        #expect(page.items == [1, 2, 3])
        #expect(page.headers[.contentRange] == "n 1..3")
    }

    @Test("a bound of the wrong kind is a 400")
    func wrongKind() {
        let pager = Pager<Int>([("n", { .integer($0) })])
        #expect(throws: APIError.self) { try pager.page([1, 2], range: ListRange(parsing: "n abc..")) }
    }
}

@Suite("Errors and credentials", .timeLimit(.minutes(15)))
struct ErrorAndCredentialTests {
    @Test("operations-layer errors map to Heroku's statuses and ids")
    func mapping() {
        let cases: [(OpenrukoError.Kind, HTTPResponse.Status, String)] = [
            (.notFound, .notFound, "not_found"), (.forbidden, .forbidden, "forbidden"),
            (.invalid, .unprocessableContent, "invalid_params"), (.conflict, .conflict, "conflict"),
            (.unauthorized, .unauthorized, "unauthorized"), (.unavailable, .serviceUnavailable, "unavailable"),
            (.internal, .internalServerError, "internal_error"),
        ]
        for (kind, status, id) in cases {
            let error = APIError(OpenrukoError(kind, "message", resource: "app"))
            #expect(error.status == status && error.id == id && error.resource == "app")
        }
    }

    @Test("malformed JSON is 400, wrong types are 422")
    func decoding() {
        func error(_ json: String) -> APIError {
            let result = Result { try JSONDecoder().decode(NamedBody.self, from: Data(json.utf8)) }
            guard case .failure(let failure) = result else { return APIError(.ok, id: "", "") }
            return APIError(any: failure)
        }
        #expect(error("{nope").status == .badRequest)
        #expect(error(#"{"name": 3}"#).status == .unprocessableContent)
        #expect(error(#"{"name": 3}"#).message.contains("name"))
        #expect(error("{}").status == .unprocessableContent)
    }

    @Test("the error body is {id, message, resource} JSON")
    func body() async throws {
        let response = APIError(.notFound, id: "not_found", "Couldn't find \"that\" app.", resource: "app").response()
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.status == .notFound)
    }

    @Test("Authorization headers")
    func credentials() {
        let basic = { (text: String) in "Basic " + Data(text.utf8).base64EncodedString() }
        #expect(Credentials(header: "Bearer abc") == .bearer("abc"))
        #expect(Credentials(header: "bearer  abc ") == .bearer("abc"))
        #expect(Credentials(header: basic(":tok")) == .basic(user: "", password: "tok"))
        #expect(Credentials(header: basic("a@b.c:pass:word")) == .basic(user: "a@b.c", password: "pass:word"))
        #expect(Credentials(header: basic(":tok"))?.token == "tok")
        #expect(Credentials(header: "Basic !!!") == nil)
        #expect(Credentials(header: "Digest x") == nil)
        #expect(Credentials(header: "Bearer") == nil)
        #expect(Credentials(header: nil) == nil)
        #expect(Credentials(header: "\tBEARER \t abc\t") == .bearer("abc"))
        #expect(Credentials(header: "Bearer  ") == nil)
        #expect(Credentials(header: "Bearerx abc") == nil)
    }

    @Test("header values: trimmed of spaces and tabs, parameters, one field or several")
    func headerText() {
        #expect(HeaderText.trimmed(" \t a b\t "[...]) == "a b")
        #expect(HeaderText.trimmed(" é "[...]) == "é")
        #expect(HeaderText.trimmed("  "[...]).isEmpty)
        var parameters: [String] = []
        HeaderText.forEachParameter(of: "type/x; a=1 ;b = 2;flag; c=x=y;"[...]) { name, value in parameters.append("\(name)|\(value)") }
        #expect(parameters == ["a|1", "b|2", "c|x=y"])
        #expect(HeaderText.contains("application/vnd.heroku+json; version=3"[...], "vnd.heroku+json"))
        #expect(!HeaderText.contains("vnd.heroku+jso"[...], "vnd.heroku+json"))
        #expect(HeaderText.equalsIgnoringCase("VerSion"[...], "version"))
        #expect(!HeaderText.equalsIgnoringCase("versions"[...], "version"))
        var fields = HTTPFields()
        #expect(fields.value(.accept) == nil)
        fields.append(HTTPField(name: .accept, value: "a"))
        #expect(fields.value(.accept) == "a")
        fields.append(HTTPField(name: .accept, value: "b"))
        #expect(fields.value(.accept) == fields[.accept])
        #expect(fields.value(.accept) == "a, b")
    }

    @Test("Accept versions: any 3 variant passes, others are refused")
    func accept() {
        #expect(throws: Never.self) { try APIResponder.checkAccept("application/vnd.heroku+json; version=3.sdk") }
        #expect(throws: Never.self) { try APIResponder.checkAccept("application/json") }
        #expect(throws: Never.self) { try APIResponder.checkAccept(nil) }
        #expect(throws: APIError.self) { try APIResponder.checkAccept("application/vnd.heroku+json; version=2") }
        #expect(throws: APIError.self) { try APIResponder.checkAccept("application/vnd.heroku+json;charset=utf-8; Version = 2") }
        #expect(throws: Never.self) { try APIResponder.checkAccept("application/vnd.heroku+json; version=3; charset=utf-8") }
    }

    @Test("paths: // collapsed and a trailing / removed, others untouched")
    func normalizedPaths() {
        func path(_ raw: String) -> String {
            let request = Request(head: HTTPRequest(method: .get, scheme: "http", authority: "api", path: raw), body: .init(buffer: ByteBuffer()))
            return APIResponder.normalized(request).head.path ?? ""
        }
        #expect(path("//account/rate-limits") == "/account/rate-limits")
        #expect(path("/apps//web1/") == "/apps/web1")
        #expect(path("/apps/web1/?x=1") == "/apps/web1?x=1")
        #expect(path("/") == "/")
        #expect(path("/apps/web1") == "/apps/web1")
    }

    @Test("capability tokens open only with their key and untouched")
    func capabilities() {
        let key = CapabilityKey()
        let grant = Grant(kind: .logs, user: UUID(), app: UUID(), expires: Grant.expiry(in: 60), lines: 5, tail: true)
        let token = key.seal(grant)
        #expect(key.open(token, as: Grant.self) == grant)
        #expect(CapabilityKey().open(token, as: Grant.self) == nil)
        let tampered = (token.hasPrefix("e") ? "f" : "e") + token.dropFirst()
        #expect(key.open(tampered, as: Grant.self) == nil)
    }

    @Test("a daemon's capability key survives its restart, kept private in one file")
    func persistentCapabilityKey() throws {
        let directory = TemporaryDirectory("capability")
        let path = directory.path + "/api-capability.key"
        let grant = Grant(kind: .buildOutput, user: UUID(), app: UUID(), object: UUID(), expires: Grant.expiry(in: 60))
        let token = CapabilityKey.persistent(at: path).seal(grant)
        #expect(CapabilityKey.persistent(at: path).open(token, as: Grant.self) == grant, "the next daemon opens it")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        try FileManager.default.removeItem(atPath: path)
        #expect(CapabilityKey.persistent(at: path).open(token, as: Grant.self) == nil, "a new key opens nothing old")
    }

    @Test("the rate limiter counts down and refuses when empty")
    func rateLimit() {
        let limiter = RateLimiter(capacity: 2)
        let user = UUID()
        let now = Date()
        #expect(limiter.take(user, now: now) == 1)
        #expect(limiter.take(user, now: now) == 0)
        #expect(limiter.take(user, now: now) == nil)
        #expect(limiter.take(user, now: now.addingTimeInterval(1800)) == 0)
    }
}

private struct NamedBody: Decodable {
    var name: String
}
