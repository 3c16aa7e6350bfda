extension DataLayout {
    /// `DATA_DIR/stacks`, the stack images (root's, read-only to tenants).
    package var stacks: String { root + "/stacks" }
    /// `DATA_DIR/stacks/NAME`: `run/`, `build/` and `version`.
    package func stack(_ name: String) -> String { stacks + "/" + name }
}
