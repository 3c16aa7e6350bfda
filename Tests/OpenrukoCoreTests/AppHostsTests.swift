import Foundation
import OpenrukoCore
import Testing

@Suite(.timeLimit(.minutes(15))) struct AppHostsTests {
    let web = UUID()
    let api = UUID()

    var hosts: AppHosts {
        AppHosts(domain: "Apps.Example.com", apps: ["web1": web, "api": api], customDomains: ["WWW.Shop.test": "web1"])
    }

    @Test func appsLiveUnderTheDomain() {
        #expect(hosts.app(forHost: "web1.apps.example.com")?.id == web)
        #expect(hosts.app(forHost: "api.apps.example.com")?.name == "api")
        #expect(hosts.app(forHost: "nope.apps.example.com") == nil)
        #expect(hosts.app(forHost: "apps.example.com") == nil)
        #expect(hosts.app(forHost: "web1xapps.example.com") == nil)
        #expect(hosts.app(forHost: "x.web1.apps.example.com") == nil)
    }

    @Test func customDomainsPointAtTheirApp() {
        #expect(hosts.app(forHost: "www.shop.test")?.id == web)
        #expect(hosts.app(forHost: "shop.test") == nil)
        let orphan = AppHosts(domain: "localhost", apps: [:], customDomains: ["a.test": "gone"])
        #expect(orphan.app(forHost: "a.test") == nil)
    }
}
