import HTTPTypes

extension HTTPFields {
    /// The value of the field `name`, as `self[name]` gives it (several fields joined), but
    /// without building a new string when there is one field, the usual case: the API's front
    /// door reads `Authorization` and `Accept` on every request.
    func value(_ name: HTTPField.Name) -> String? {
        var found: String?
        for field in self where field.name == name {
            guard found == nil else { return self[name] }
            found = field.value
        }
        return found
    }
}
