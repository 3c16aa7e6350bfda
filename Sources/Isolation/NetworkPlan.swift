import Foundation
package import OpenrukoCore

/// The kernel networking of dynos and builds (openruko as root), as data: every dyno and
/// build gets a network namespace with one veth interface on the `openruko0` bridge, an
/// address of `subnet` and a default route through the bridge; the bridge's ports are
/// isolated from each other (no dyno reaches another), the host drops everything a dyno
/// opens towards it (its loopback, API, SSH, router) except `allow`, and traffic to the
/// outside world is forwarded with NAT. IPv6 is off on the bridge (only loopback inside).
///
/// ```swift
/// let plan = try NetworkPlan(subnet: "10.212.0.0/16", allow: "127.0.0.1:5432")
/// plan.address(index: 2)   // "10.212.0.2"
/// ```
package struct NetworkPlan: Sendable, Hashable {
    /// A TCP service on the host that dynos may reach (`OPENRUKO_DYNO_ALLOW`).
    package struct Service: Sendable, Hashable {
        package var address: String
        package var port: Int
        /// On the host's loopback: dynos reach it at the bridge's address (`gateway`).
        package var isLoopback: Bool { address.hasPrefix("127.") }
    }

    /// The bridge every namespace's veth joins.
    package static let bridge = "openruko0"
    /// The default `OPENRUKO_DYNO_SUBNET`.
    package static let defaultSubnet = "10.212.0.0/16"

    /// The subnet's first address (host order) and prefix length.
    package let base: UInt32
    package let prefix: Int
    package let allow: [Service]

    /// - Parameters:
    ///   - subnet: an IPv4 network, `/16` to `/24` (`OPENRUKO_DYNO_SUBNET`).
    ///   - allow: comma-separated `ADDRESS:PORT` host services (`OPENRUKO_DYNO_ALLOW`).
    /// - Throws: `OpenrukoError.invalid` naming the bad value.
    package init(subnet: String = defaultSubnet, allow: String = "") throws(OpenrukoError) {
        let parts = subnet.split(separator: "/")
        guard parts.count == 2, let address = Self.parse(String(parts[0])), let prefix = Int(parts[1]), (16...24).contains(prefix)
        else {
            throw OpenrukoError(
                .invalid, "OPENRUKO_DYNO_SUBNET must be an IPv4 network from /16 to /24 (e.g. \(Self.defaultSubnet)), not \(subnet.debugDescription).")
        }
        let mask = UInt32.max << UInt32(32 - prefix)
        base = address & mask
        self.prefix = prefix
        var services: [Service] = []
        for entry in allow.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let pieces = entry.split(separator: ":")
            guard pieces.count == 2, Self.parse(String(pieces[0])) != nil, let port = Int(pieces[1]), (1...65535).contains(port) else {
                throw OpenrukoError(
                    .invalid, "OPENRUKO_DYNO_ALLOW lists host services as ADDRESS:PORT (e.g. 127.0.0.1:5432), not \(entry.debugDescription).")
            }
            services.append(Service(address: String(pieces[0]), port: port))
        }
        self.allow = services
    }

    /// `a.b.c.d` as a number, or nil.
    static func parse(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        return octets.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func format(_ value: UInt32) -> String {
        [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    /// `10.212.0.0/16`.
    package var subnet: String { Self.format(base) + "/\(prefix)" }
    /// The bridge's own address: the namespaces' default route.
    package var gateway: String { Self.format(base + 1) }
    /// The indexes a namespace may have (the gateway and broadcast addresses excluded).
    package var indexes: ClosedRange<Int> { 2...(1 << (32 - prefix)) - 2 }
    /// The address of namespace `index`.
    package func address(index: Int) -> String { Self.format(base + UInt32(index)) }
    /// The namespace's name under `/run/netns`.
    package static func namespace(index: Int) -> String { "openruko-\(index)" }
    /// The host end of its veth pair (at most 15 characters).
    static func hostLink(index: Int) -> String { "orv" + String(index, radix: 16) }

    /// The `ip -batch` input that creates namespace `index` and its link on the bridge
    /// (isolated from the bridge's other ports).
    func outside(index: Int) -> String {
        let name = Self.namespace(index: index)
        let link = Self.hostLink(index: index)
        return """
            netns add \(name)
            link add \(link) type veth peer name eth0 netns \(name)
            link set \(link) master \(Self.bridge) up
            link set dev \(link) type bridge_slave isolated on

            """
    }

    /// The `ip -batch` input run inside namespace `index` once `outside` made it.
    func inside(index: Int) -> String {
        """
        link set lo up
        addr add \(address(index: index))/\(prefix) dev eth0
        link set eth0 up
        route add default via \(gateway)

        """
    }

    /// Commands that make the bridge, when it is missing.
    var bridgeCommands: [[String]] {
        [
            ["ip", "link", "add", Self.bridge, "type", "bridge"],
            ["ip", "addr", "add", "\(gateway)/\(prefix)", "dev", Self.bridge],
            ["ip", "link", "set", Self.bridge, "up"],
        ]
    }

    /// Kernel settings: forwarding for NAT, no IPv6 on the bridge (so no link-local path to
    /// the host's IPv6 services), and loopback destinations (for allowed loopback services;
    /// `OPENRUKO-IN` rejects every other packet from the bridge).
    var sysctls: [(String, String)] {
        [
            ("net/ipv4/ip_forward", "1"),
            ("net/ipv6/conf/\(Self.bridge)/disable_ipv6", "1"),
            ("net/ipv4/conf/\(Self.bridge)/route_localnet", "1"),
        ]
    }

    /// The `iptables-restore --noflush` input: openruko's own chains, rewritten as a whole in
    /// one transaction (the jumps into them are added separately, once). The allowed services
    /// live in `OPENRUKO-ALLOW` and `OPENRUKO-DNAT`, which each daemon edits for its own tag.
    var rules: String {
        let bridge = Self.bridge
        var filter = [
            "*filter", ":OPENRUKO-IN - [0:0]", ":OPENRUKO-FWD - [0:0]",
            "-A OPENRUKO-IN -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
        ]
        filter += [
            "-A OPENRUKO-IN -j OPENRUKO-ALLOW",
            "-A OPENRUKO-IN -p tcp -j REJECT --reject-with tcp-reset",
            "-A OPENRUKO-IN -j REJECT --reject-with icmp-port-unreachable",
            "-A OPENRUKO-FWD -i \(bridge) -o \(bridge) -j DROP",
            "-A OPENRUKO-FWD -i \(bridge) -d 169.254.0.0/16 -j REJECT --reject-with icmp-port-unreachable",
            "-A OPENRUKO-FWD -i \(bridge) -j ACCEPT",
            "-A OPENRUKO-FWD -o \(bridge) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A OPENRUKO-FWD -o \(bridge) -j DROP",
            "COMMIT",
        ]
        let nat = [
            "*nat", ":OPENRUKO-PRE - [0:0]", ":OPENRUKO-POST - [0:0]", "-A OPENRUKO-PRE -j OPENRUKO-DNAT",
            "-A OPENRUKO-POST -s \(subnet) ! -o \(bridge) -j MASQUERADE", "COMMIT"]
        return (filter + nat).joined(separator: "\n") + "\n"
    }

    /// The chains every daemon shares on a host and edits only for its own tag.
    static let serviceChains: [(table: String, chain: String)] = [("filter", "OPENRUKO-ALLOW"), ("nat", "OPENRUKO-DNAT")]

    /// The rules (`-A …` arguments with `table`) that let dynos reach `allow`, marked with
    /// `tag` (one daemon's; another daemon on the host keeps its own).
    func serviceRules(tag: String) -> [(table: String, rule: [String])] {
        var rules: [(String, [String])] = []
        let mark = ["-m", "comment", "--comment", tag]
        for service in allow {
            rules.append(("filter", ["-A", "OPENRUKO-ALLOW", "-d", service.address + "/32", "-p", "tcp", "-m", "tcp", "--dport", String(service.port)] + mark + ["-j", "ACCEPT"]))
            if service.isLoopback {
                rules.append(("nat", ["-A", "OPENRUKO-DNAT", "-d", gateway + "/32", "-p", "tcp", "-m", "tcp", "--dport", String(service.port)] + mark + ["-j", "DNAT", "--to-destination", "\(service.address):\(service.port)"]))
            }
        }
        return rules
    }

    /// The jumps from the built-in chains into openruko's (table, chain, rule), inserted first.
    static let jumps: [(table: String, chain: String, rule: [String])] = [
        ("filter", "INPUT", ["-i", bridge, "-j", "OPENRUKO-IN"]),
        ("filter", "FORWARD", ["-j", "OPENRUKO-FWD"]),
        ("nat", "PREROUTING", ["-i", bridge, "-j", "OPENRUKO-PRE"]),
        ("nat", "POSTROUTING", ["-j", "OPENRUKO-POST"]),
    ]
}
