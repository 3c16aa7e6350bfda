import OpenrukoCore
import Testing

@testable import Isolation

@Suite(.timeLimit(.minutes(15))) struct NetworkPlanTests {
    @Test func addressesComeFromTheSubnetAndSkipTheGateway() throws {
        let plan = try NetworkPlan(subnet: "10.212.7.9/16")
        #expect(plan.subnet == "10.212.0.0/16")
        #expect(plan.gateway == "10.212.0.1")
        #expect(plan.indexes == 2...65534)
        #expect(plan.address(index: 2) == "10.212.0.2")
        #expect(plan.address(index: 300) == "10.212.1.44")
        #expect(NetworkPlan.hostLink(index: 65534).count <= 15)
        #expect(plan.inside(index: 300).contains("addr add 10.212.1.44/16 dev eth0"))
        #expect(plan.inside(index: 300).contains("route add default via 10.212.0.1"))
        #expect(plan.outside(index: 300).contains("link set dev orv12c type bridge_slave isolated on"))
    }

    @Test func badSettingsAreRefusedWithTheirName() {
        for subnet in ["10.212.0.0", "10.212.0.0/8", "10.212.0/16", "fd00::/64", "10.300.0.0/16"] {
            #expect(throws: OpenrukoError.self) { try NetworkPlan(subnet: subnet) }
        }
        for allow in ["127.0.0.1", "localhost:5432", "127.0.0.1:0", "127.0.0.1:70000", "1.2.3.4:5:6"] {
            do {
                _ = try NetworkPlan(allow: allow)
                Issue.record("\(allow) was accepted")
            } catch {
                #expect(error.message.contains("OPENRUKO_DYNO_ALLOW"))
            }
        }
    }

    @Test func theHostRejectsDynosExceptAllowedServices() throws {
        let plan = try NetworkPlan(allow: "127.0.0.1:5432, 192.0.2.10:6379")
        let rules = plan.rules
        // Replies to the host's own connections (the router's) pass; everything else from the
        // bridge ends in a reject, after the allowed services' chain.
        let input = rules.split(separator: "\n").filter { $0.hasPrefix("-A OPENRUKO-IN") }
        #expect(input.first?.contains("ESTABLISHED,RELATED -j ACCEPT") == true)
        #expect(input.dropFirst().first == "-A OPENRUKO-IN -j OPENRUKO-ALLOW")
        #expect(input.last?.contains("-j REJECT") == true)
        #expect(rules.contains("-A OPENRUKO-FWD -i openruko0 -o openruko0 -j DROP"))
        #expect(rules.contains("-A OPENRUKO-FWD -i openruko0 -d 169.254.0.0/16 -j REJECT"))
        #expect(rules.contains("-A OPENRUKO-POST -s 10.212.0.0/16 ! -o openruko0 -j MASQUERADE"))
        let services = plan.serviceRules(tag: "openruko-t1")
        #expect(services.count == 3, "an accept each, and a DNAT from the gateway for the loopback one")
        #expect(services.allSatisfy { $0.rule.contains("openruko-t1") })
        let dnat = try #require(services.first { $0.table == "nat" }?.rule)
        #expect(dnat.contains("10.212.0.1/32") && dnat.contains("127.0.0.1:5432"))
        #expect(plan.sysctls.contains { $0.0 == "net/ipv6/conf/openruko0/disable_ipv6" && $0.1 == "1" })
    }
}
