import Foundation
import OpenrukoCore
import Runtime
import Testing

/// The runtime's route table alone: which target a host gets as dynos come and go.
@Suite(.timeLimit(.minutes(15))) struct RuntimeRoutesTests {
    let app = App(
        id: UUID(), name: "shop", ownerID: UUID(), ownerEmail: "a@b", stack: "host", buildpacks: [], maintenance: false, createdAt: Date(),
        updatedAt: Date())

    func status(_ index: Int, _ state: Dyno.State, port: Int, slot: UUID = UUID()) -> DynoStatus {
        let release = Release(
            id: UUID(), appID: app.id, version: 2, slugID: nil, config: [:], description: "Deploy", userID: nil, userEmail: "a@b",
            status: .succeeded, isCurrent: true, createdAt: Date(), updatedAt: Date())
        let slug = Slug(
            id: UUID(), appID: app.id, processTypes: ["web": "bin/web"], size: 0, checksum: "", commit: nil, commitDescription: nil,
            buildpackDescription: nil, stack: "host", createdAt: Date())
        let spec = DynoSpec(
            app: app, release: release, slug: slug, type: "web", name: "web.\(index)", command: "bin/web", size: "standard-1X", kind: .web)
        return DynoStatus(spec: spec, slot: slot, instance: UUID(), port: port, state: state, createdAt: Date(), updatedAt: Date())
    }

    @Test func hostsNameAppsAndCustomDomains() {
        let routes = RuntimeRoutes(domain: "Example.test")
        routes.setApps(["shop": app.id], customDomains: ["www.shop.test": "shop"])
        #expect(routes.target(forHost: "shop.example.test") == .noWebDynos(app: "shop", appID: app.id))
        #expect(routes.target(forHost: "WWW.SHOP.TEST") == .noWebDynos(app: "shop", appID: app.id))
        #expect(routes.target(forHost: "other.example.test") == .unknownHost)
        #expect(routes.target(forHost: "example.test") == .unknownHost)
        #expect(routes.target(forHost: "shop.example.test.evil") == .unknownHost)
    }

    @Test func onlyActiveUpDynosTakeTraffic() {
        let routes = RuntimeRoutes(domain: "example.test")
        routes.setApps(["shop": app.id], customDomains: [:])
        routes.setWebWanted(app, true)
        var one = status(1, .starting, port: 5001)
        routes.activate(app, [one])
        #expect(routes.target(forHost: "shop.example.test") == .starting(app: "shop", appID: app.id))
        one.state = .up
        routes.update(app.id, one)
        var two = status(2, .up, port: 5002)
        routes.update(app.id, two)
        guard case .backends(_, _, let backends) = routes.target(forHost: "shop.example.test") else {
            Issue.record("no backends")
            return
        }
        #expect(backends.map(\.port) == [5001], "an up dyno not yet switched to takes no traffic")
        routes.activate(app, [two])
        guard case .backends(_, _, let both) = routes.target(forHost: "shop.example.test") else { return }
        #expect(both.map(\.dyno) == ["web.1", "web.2"])

        routes.deactivate(app.id, [one.slot])
        two.state = .crashed
        routes.update(app.id, two)
        #expect(routes.target(forHost: "shop.example.test") == .crashed(app: "shop", appID: app.id))
        routes.setWebWanted(app, false)
        #expect(routes.target(forHost: "shop.example.test") == .noWebDynos(app: "shop", appID: app.id))
        routes.remove(app.id)
        #expect(routes.target(forHost: "shop.example.test") == .unknownHost)
    }

    @Test func maintenanceModeWinsOverRunningDynosUntilTurnedOff() {
        let routes = RuntimeRoutes(domain: "example.test")
        routes.setApps(["shop": app.id], customDomains: ["www.shop.test": "shop"], maintenance: [app.id])
        routes.setWebWanted(app, true)
        routes.activate(app, [status(1, .up, port: 5001)])
        #expect(routes.target(forHost: "shop.example.test") == .maintenance(app: "shop", appID: app.id))
        #expect(routes.target(forHost: "www.shop.test") == .maintenance(app: "shop", appID: app.id))
        routes.setApps(["shop": app.id], customDomains: [:])
        guard case .backends(_, _, let backends) = routes.target(forHost: "shop.example.test") else {
            Issue.record("maintenance off must route to the up dyno again")
            return
        }
        #expect(backends.map(\.port) == [5001])
    }
}
