import Foundation

/// Which images of one app's own image store are garbage, as a pure decision over the store's
/// image and layer lists. Kept: the base images an admin loaded (named, not
/// `localhost/openruko/…`), the app's current build images (`localhost/openruko/APP/…`, the
/// layer cache of its next build), the images of the releases the retention rule keeps, and
/// every image whose top layer is an ancestor of a kept image's (the `--layers` cache of their
/// steps). Everything else is garbage: images of expired releases, of the app's old name,
/// and dangling ones (a changed step's old cache, a base image an admin replaced).
///
/// ```swift
/// let rule = AppImageGarbage(app: "web1", keptImageIDs: ids)
/// for id in rule.garbage(images: images, parents: parents) { try await buildah.capture(["rmi", id]) }
/// ```
struct AppImageGarbage: Sendable, Hashable {
    /// One image of the store's list.
    struct Image: Sendable, Hashable {
        var id: String
        var names: [String]
        /// Its top layer (empty for an image without layers).
        var layer: String
    }

    /// The app's name now.
    var app: String
    /// Image ids of the container slugs that stay (current, pending, retained releases).
    var keptImageIDs: Set<String>

    /// Whether `image` is kept for itself (before ancestry).
    func isRoot(_ image: Image) -> Bool {
        if keptImageIDs.contains(image.id) { return true }
        let own = "localhost/openruko/\(app)/"
        if image.names.contains(where: { $0.hasPrefix(own) }) { return true }
        return !image.names.isEmpty && !image.names.contains { $0.hasPrefix("localhost/openruko/") }
    }

    /// The ids of the images to remove, in the store's order.
    /// - Parameter parents: each layer's parent layer (absent for a bottom layer).
    func garbage(images: [Image], parents: [String: String]) -> [String] {
        var needed: Set<String> = []
        for image in images where isRoot(image) {
            var layer: String? = image.layer.isEmpty ? nil : image.layer
            while let current = layer, needed.insert(current).inserted {
                layer = parents[current]
            }
        }
        return images.filter { image in
            !isRoot(image) && !(needed.contains(image.layer) && !image.layer.isEmpty)
        }.map(\.id)
    }

    /// The store's images, from `DRIVER-images/images.json`.
    static func images(json data: Data) -> [Image] {
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else { return [] }
        return list.compactMap { entry in
            guard let id = entry["id"] as? String, !id.isEmpty, !id.contains("/") else { return nil }
            return Image(id: id, names: entry["names"] as? [String] ?? [], layer: entry["layer"] as? String ?? "")
        }
    }

    /// Each layer's parent, from `DRIVER-layers/layers.json` (and `volatile-layers.json`).
    static func parents(json data: Data) -> [String: String] {
        guard let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else { return [:] }
        var parents: [String: String] = [:]
        for entry in list {
            if let id = entry["id"] as? String, let parent = entry["parent"] as? String, !parent.isEmpty { parents[id] = parent }
        }
        return parents
    }
}
