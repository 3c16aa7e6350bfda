import Foundation
import OpenrukoCore
import Testing

@Suite(.timeLimit(.minutes(15))) struct LocalBuildpackPolicyTests {
    @Test func tenantsMayNameOnlyListedDirectories() throws {
        let listed = NSTemporaryDirectory() + "bp-policy-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: listed + "/ok", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: listed) }
        let tenant = LocalBuildpackPolicy.tenant(environment: ["OPENRUKO_BUILDPACK_PATHS": listed + ":relative"])
        #expect(tenant.permits(listed + "/ok"))
        #expect(tenant.permits("file://" + listed + "/ok#v1"))
        #expect(!tenant.permits(listed + "/../etc"))
        #expect(!tenant.permits("/var/lib/openruko/repos/other.git"))
        #expect(!tenant.permits("file:///var/lib/openruko/repos/other.git"))
        #expect(!tenant.permits("FILE:///srv"))
        #expect(!tenant.permits("git+file:///srv/bp.git"))
        #expect(!tenant.permits("file://host/srv"))
        for remote in ["python", "heroku/python", "https://example.com/bp.git", "git@github.com:x/y.git", "https://e.com/a.tgz"] {
            #expect(tenant.permits(remote), "\(remote)")
        }
        #expect(LocalBuildpackPolicy.admin.permits("/srv/anything"))
        #expect(LocalBuildpackPolicy.tenant(environment: [:]).permits("/tmp") == false)
    }

    @Test func symlinksOutOfAListedDirectoryAreRefused() throws {
        let listed = NSTemporaryDirectory() + "bp-link-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: listed, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: listed) }
        try FileManager.default.createSymbolicLink(atPath: listed + "/escape", withDestinationPath: "/etc")
        let tenant = LocalBuildpackPolicy(allowed: [listed])
        #expect(!tenant.permits(listed + "/escape"))
        let message = tenant.refusal("/srv/x")
        #expect(message.contains("for admins") && message.contains("bundled name"))
        #expect(!message.contains("exist"))
    }
}
