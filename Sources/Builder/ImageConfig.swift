import Foundation
import OpenrukoCore

/// What `buildah inspect --type image` says about an image that a dyno needs: its id and the
/// OCI config (`Env`, `WorkingDir`, `User`, `Entrypoint`, `Cmd`).
struct ImageConfig: Sendable, Hashable {
    var imageID: String
    var environment: [String]
    var workingDirectory: String
    var user: String
    var entrypoint: [String]
    var cmd: [String]

    /// Reads buildah's inspect JSON.
    /// - Throws: `OpenrukoError` when it is not the expected shape.
    init(inspectJSON text: String) throws(OpenrukoError) {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw OpenrukoError(.internal, "buildah inspect printed something that is not JSON.")
        }
        let oci = root["OCIv1"] as? [String: Any]
        let config = oci?["config"] as? [String: Any] ?? [:]
        imageID = root["FromImageID"] as? String ?? ""
        environment = config["Env"] as? [String] ?? []
        let workdir = config["WorkingDir"] as? String ?? ""
        workingDirectory = workdir.hasPrefix("/") ? workdir : "/" + workdir
        user = config["User"] as? String ?? ""
        entrypoint = config["Entrypoint"] as? [String] ?? []
        cmd = config["Cmd"] as? [String] ?? []
    }

    /// The image as a dyno runs it from the slug's directory `key`, its `USER` resolved
    /// against the root filesystem at `rootfs`.
    /// - Throws: `OpenrukoError` when `USER` names an account the image does not have.
    func image(key: String, rootfs: String) throws(OpenrukoError) -> ContainerImage {
        let (uid, gid) = try Self.resolve(user: user, rootfs: rootfs)
        return ContainerImage(
            key: key, imageID: imageID, environment: environment, workingDirectory: workingDirectory, uid: uid, gid: gid,
            entrypoint: entrypoint, cmd: cmd)
    }

    /// `USER name|uid[:group|gid]` as numbers, names looked up in the image's `/etc/passwd`
    /// and `/etc/group`; nil for root or no `USER`.
    static func resolve(user: String, rootfs: String) throws(OpenrukoError) -> (UInt32?, UInt32?) {
        let spec = user.trimmingCharacters(in: .whitespaces)
        guard !spec.isEmpty else { return (nil, nil) }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let name = parts[0]
        var uid = UInt32(name)
        var gid: UInt32?
        if uid == nil {
            guard let entry = accounts(rootfs, "passwd").first(where: { $0.first == name }), entry.count > 3,
                let number = UInt32(entry[2])
            else {
                throw OpenrukoError(.invalid, "The image's USER \(name) is not in its /etc/passwd.")
            }
            uid = number
            gid = UInt32(entry[3])
        } else if let entry = accounts(rootfs, "passwd").first(where: { $0.count > 3 && $0[2] == name }) {
            gid = UInt32(entry[3])
        }
        if parts.count == 2 {
            if let number = UInt32(parts[1]) {
                gid = number
            } else if let entry = accounts(rootfs, "group").first(where: { $0.first == parts[1] }), entry.count > 2,
                let number = UInt32(entry[2])
            {
                gid = number
            } else {
                throw OpenrukoError(.invalid, "The image's USER group \(parts[1]) is not in its /etc/group.")
            }
        }
        if uid == 0 { return (nil, nil) }
        return (uid, gid ?? uid)
    }

    /// The colon-separated lines of the image's `/etc/NAME` (not following an `/etc` symlink).
    static func accounts(_ rootfs: String, _ name: String) -> [[String]] {
        guard case .directory = FileTree.kind(rootfs + "/etc"), let text = FileTree.text(rootfs + "/etc/" + name) else { return [] }
        return text.split(separator: "\n").map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }
}
