import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Heroku's SNI endpoints, an app's uploaded TLS certificates (`heroku certs:add`):
/// `GET/POST /apps/{app}/sni-endpoints`, `GET/PATCH/DELETE /apps/{app}/sni-endpoints/{name or id}`.
struct SNIEndpointController {
    let environment: APIEnvironment

    struct Body: Decodable {
        var certificate_chain: String
        var private_key: String
    }

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/sni-endpoints") { request, context in
            let (app, certificates) = try environment.platform.certificates(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(try resources(app, certificates), for: request)
        }
        router.post("/apps/:app/sni-endpoints") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let body = try await request.json(Body.self, context: context)
            let added = try environment.platform.addCertificate(name, chain: body.certificate_chain, key: body.private_key, as: principal)
            return try JSONResponse.make(try resources(app, [added])[0], status: .created, for: request)
        }
        router.get("/apps/:app/sni-endpoints/:endpoint") { request, context in
            let (app, found) = try environment.platform.certificate(
                try context.parameter("app"), named: try context.parameter("endpoint"), as: try context.principal())
            return try JSONResponse.make(try resources(app, [found])[0], for: request)
        }
        router.patch("/apps/:app/sni-endpoints/:endpoint") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let body = try await request.json(Body.self, context: context)
            let updated = try environment.platform.updateCertificate(
                name, named: try context.parameter("endpoint"), chain: body.certificate_chain, key: body.private_key, as: principal)
            return try JSONResponse.make(try resources(app, [updated])[0], for: request)
        }
        router.delete("/apps/:app/sni-endpoints/:endpoint") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let (_, found) = try environment.platform.certificate(name, named: try context.parameter("endpoint"), as: principal)
            let resource = try resources(app, [found])[0]
            _ = try environment.platform.removeCertificate(name, named: found.id.wire, as: principal)
            return try JSONResponse.make(resource, for: request)
        }
    }

    private func resources(_ app: App, _ certificates: [AppCertificate]) throws(OpenrukoError) -> [SNIEndpointResource] {
        let served = try environment.platform.servedDomains(of: app, certificates)
        return certificates.map { SNIEndpointResource($0, app: app, domainIDs: served[$0.id]?.map(\.id.wire) ?? []) }
    }
}

/// An SNI endpoint as Heroku shapes it: the chain, the app, the ids of the domains it is
/// served for, and `ssl_cert` (what the certificate says).
struct SNIEndpointResource: Encodable, Sendable {
    var app: AppReference
    var certificate_chain: String
    var created_at: String
    var display_name: Nullable<String> = nil
    var domains: [String]
    var id: String
    var name: String
    var ssl_cert: SSLCert
    var updated_at: String

    struct SSLCert: Encodable, Sendable {
        var ca_signed: Bool
        var cert_domains: [String]
        var expires_at: String
        var id: String
        var issuer: String
        var self_signed: Bool
        var starts_at: String
        var subject: String

        enum CodingKeys: String, CodingKey {
            case ca_signed = "ca_signed?"
            case self_signed = "self_signed?"
            case cert_domains, expires_at, id, issuer, starts_at, subject
        }
    }

    init(_ certificate: AppCertificate, app: App, domainIDs: [String]) {
        self.app = AppReference(app)
        certificate_chain = certificate.certificateChain
        created_at = certificate.createdAt.wire
        domains = domainIDs
        id = certificate.id.wire
        name = certificate.name
        ssl_cert = SSLCert(
            ca_signed: !certificate.selfSigned, cert_domains: certificate.names, expires_at: certificate.expiresAt.wire,
            id: StableID.make("ssl-cert:\(certificate.id.wire):\(certificate.updatedAt.wire)"), issuer: certificate.issuer,
            self_signed: certificate.selfSigned, starts_at: certificate.startsAt.wire, subject: certificate.subject)
        updated_at = certificate.updatedAt.wire
    }
}
