@testable import Builder
import Foundation
import OpenrukoCore
import Testing

/// The pure decisions behind container builds that do not run as host root: each app's id map,
/// its conflicts, the `bud` options, and the base images a Dockerfile names.
@Suite(.timeLimit(.minutes(15))) struct ContainerIsolationTests {
    @Test func everyAppOfTheDefaultRangeGetsItsOwnRangeAboveEveryoneElse() {
        let first = ContainerIdentity(appUID: 70000)
        #expect(first.base == 1_048_576)
        #expect(ContainerIdentity(appUID: 70001).base == 1_048_576 + 65536)
        let last = ContainerIdentity(appUID: 79999)
        #expect(last.base == 1_048_576 + 9999 * 65536)
        #expect(first.mapArguments == ["--userns-uid-map", "0:1048576:65536", "--userns-gid-map", "0:1048576:65536"])
        // Any range of up to `slots` consecutive uids: distinct and within 32 bits.
        var bases: Set<UInt32> = []
        for uid in UInt32(1000)..<UInt32(1000 + ContainerIdentity.slots) { bases.insert(ContainerIdentity(appUID: uid).base) }
        #expect(bases.count == Int(ContainerIdentity.slots))
        #expect(bases.allSatisfy { $0 >= ContainerIdentity.firstBase && UInt64($0) + 65535 <= 4_294_967_294 })
    }

    @Test func idsSharedWithAppUIDsOrAHostUsersSubordinateIDsAreRefused() throws {
        let identity = ContainerIdentity(appUID: 70002)
        #expect(identity.conflict(appUIDs: 70000...79999, subordinate: [("/etc/subuid", "alice:100000:65536\n")]) == nil)
        let apps = try #require(identity.conflict(appUIDs: 1_100_000...1_200_000, subordinate: []))
        #expect(apps.contains("OPENRUKO_APP_UIDS"))
        let user = try #require(
            identity.conflict(appUIDs: 70000...79999, subordinate: [("/etc/subgid", "# comment\nbob:1100000:1000000\n")]))
        #expect(user.contains("/etc/subgid") && user.contains("bob"), "\(user)")
    }

    @Test func rootBuildsAreMappedAndJoinTheBuildNetwork() throws {
        // Without root there is no isolating a RUN step: refused, saying what to do instead.
        let error = #expect(throws: OpenrukoError.self) { try RunIsolation.of(appUID: 70000, isRoot: false, network: nil, app: "web") }
        #expect(error?.message.contains("need openruko to run as root") == true, "\(String(describing: error))")
        #expect(error?.message.contains("'buildpacks:set web heroku/python'") == true, "\(String(describing: error))")
        #expect(throws: OpenrukoError.self) { try RunIsolation.of(appUID: nil, isRoot: true, network: nil, app: "web") }
        let mapped = try RunIsolation.of(appUID: 70003, isRoot: true, network: "/run/netns/openruko-9", app: "web")
        let arguments = mapped.budArguments(sys: "/d/run/containers/sys")
        #expect(arguments.starts(with: ["--isolation", "oci", "--runtime", "/usr/sbin/runc"]))
        #expect(arguments.contains("ns:/run/netns/openruko-9"))
        #expect(arguments.contains("/d/run/containers/sys:/sys:ro"))
        #expect(arguments.contains("/d/run/containers/sys/fs/cgroup:/sys/fs/cgroup:ro"))
        let host = try RunIsolation.of(appUID: 70003, isRoot: true, network: nil, app: "web").budArguments(sys: "/s")
        #expect(host.firstIndex(of: "--network").map { host[$0 + 1] } == "host")
    }

    @Test func baseImagesAreEveryExternalFromAfterArgSubstitution() {
        let dockerfile = """
            # syntax=docker/dockerfile:1
            ARG BASE=localhost/base
            ARG TAG
            FROM --platform=linux/amd64 ${BASE} AS deps
            RUN --mount=type=cache,target=/c \\
                --mount=type=bind,from=localhost/tools,target=/t make
            FROM deps AS test
            FROM scratch
            COPY --from=deps /out /out
            COPY --from=docker.io/library/busybox:1.36 /bin/busybox /bin/
            FROM localhost/runtime:${TAG:-stable}
            FROM $BASE
            """
        let references = BaseImageReferences(dockerfile: dockerfile).references
        #expect(references == ["localhost/base", "localhost/tools", "docker.io/library/busybox:1.36", "localhost/runtime:stable"])
        let overridden = BaseImageReferences(dockerfile: dockerfile, buildArguments: ["BASE": "other", "TAG": "v2"]).references
        #expect(overridden == ["other", "localhost/tools", "docker.io/library/busybox:1.36", "localhost/runtime:v2"])
    }

    @Test func onlyNamedImagesOutsideOpenrukosOwnNamesAreBaseImages() {
        #expect(AppImageStore.isBaseImage(names: ["localhost/base:latest"]))
        #expect(!AppImageStore.isBaseImage(names: []))
        #expect(!AppImageStore.isBaseImage(names: ["localhost/base:latest", "localhost/openruko/victim/web:latest"]))
    }

    @Test func shortNamesAreLookedUpAsBuildahResolvesThem() {
        #expect(BaseImageReferences.storeNames("localhost/base") == ["localhost/base:latest"])
        #expect(BaseImageReferences.storeNames("registry.example:5000/team/app:1") == ["registry.example:5000/team/app:1"])
        #expect(BaseImageReferences.storeNames("busybox") == ["busybox:latest", "localhost/busybox:latest", "docker.io/library/busybox:latest"])
        #expect(BaseImageReferences.storeNames("team/app:2") == ["team/app:2", "localhost/team/app:2", "docker.io/team/app:2"])
    }
}
