internal import CLibGit2

/// A libgit2 failure: the return code, libgit2's error class and message, and the function
/// that failed. Read on the failing thread, right after the call (libgit2 errors are
/// thread-local).
package struct GitError: Error, CustomStringConvertible, Sendable {
    package let code: Int32
    package let errorClass: Int32
    package let message: String
    package let function: String

    package var description: String { "\(function) failed (\(code)): \(message)" }

    /// Throws a `GitError` when `result` is negative.
    @discardableResult
    static func check(_ result: Int32, _ function: String) throws(GitError) -> Int32 {
        guard result < 0 else { return result }
        // libgit2 1.5 may return NULL here; the error must be cleared after reading.
        var message = "unknown error"
        var errorClass: Int32 = 0
        if let last = git_error_last() {
            message = String(cString: last.pointee.message)
            errorClass = last.pointee.klass
        }
        git_error_clear()
        throw GitError(code: result, errorClass: errorClass, message: message, function: function)
    }
}
