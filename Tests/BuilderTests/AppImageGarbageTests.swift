@testable import Builder
import Foundation
import Testing

/// Which images of an app's own store are garbage: never a base image, the app's current
/// build or a kept release's image, nor the cached steps beneath them.
@Suite(.timeLimit(.minutes(1))) struct AppImageGarbageTests {
    typealias Image = AppImageGarbage.Image

    // Layers: base0 ← a1 ← a2 (current build), base0 ← b1 ← b2 (a kept release), base0 ← c1 ← c2 (expired)
    let parents = ["a1": "base0", "a2": "a1", "b1": "base0", "b2": "b1", "c1": "base0", "c2": "c1", "x1": "base0"]
    let images = [
        Image(id: "base", names: ["localhost/openruko-test/busybox:latest"], layer: "base0"),
        Image(id: "current", names: ["localhost/openruko/web1/web:latest"], layer: "a2"),
        Image(id: "step-a1", names: [], layer: "a1"),
        Image(id: "kept", names: [], layer: "b2"),
        Image(id: "step-b1", names: [], layer: "b1"),
        Image(id: "expired", names: [], layer: "c2"),
        Image(id: "step-c1", names: [], layer: "c1"),
        Image(id: "old-name", names: ["localhost/openruko/oldname/web:latest"], layer: "x1"),
        Image(id: "other-app", names: ["localhost/openruko/web2/web:latest"], layer: "x1"),
        Image(id: "no-layers", names: [], layer: ""),
    ]

    @Test func keepsBaseCurrentKeptReleasesAndTheirStepsOnly() {
        let rule = AppImageGarbage(app: "web1", keptImageIDs: ["kept"])
        #expect(rule.garbage(images: images, parents: parents) == ["expired", "step-c1", "old-name", "other-app", "no-layers"])
    }

    @Test func aKeptReleaseImageIsKeptEvenWhenNamedLikeAnotherApp() {
        let rule = AppImageGarbage(app: "web1", keptImageIDs: ["kept", "expired", "other-app"])
        // (old-name shares other-app's top layer: it is a step beneath a kept image)
        #expect(rule.garbage(images: images, parents: parents) == ["no-layers"])
    }

    @Test func aLayerCycleInACorruptListEnds() {
        let rule = AppImageGarbage(app: "web1", keptImageIDs: [])
        let loop = ["l1": "l2", "l2": "l1"]
        let garbage = rule.garbage(images: [Image(id: "i", names: ["localhost/openruko/web1/web:latest"], layer: "l1"),
            Image(id: "j", names: [], layer: "l2")], parents: loop)
        #expect(garbage.isEmpty)
    }

    @Test func readsTheStoresLists() {
        let images = AppImageGarbage.images(json: Data(#"[{"id":"abc","names":["n"],"layer":"L"},{"id":"../x"},{"names":[]}]"#.utf8))
        #expect(images == [Image(id: "abc", names: ["n"], layer: "L")])
        #expect(AppImageGarbage.parents(json: Data(#"[{"id":"L","parent":"P"},{"id":"P"}]"#.utf8)) == ["L": "P"])
        #expect(AppImageCollector.count(Data("[1,2]".utf8)) == 2)
        #expect(AppImageCollector.count(nil) == 0)
    }
}
