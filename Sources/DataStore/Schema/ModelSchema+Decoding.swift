extension ModelSchema {
    /// Decodes a model of type `M` from stored values.
    ///
    /// - Throws: ``DataStoreError/Code/decodingFailed`` naming the field.
    func decode<M: Model>(
        _ type: M.Type,
        _ values: [FieldValue],
        context: RelationContext
    )
        throws(DataStoreError) -> M
    {
        do {
            return try M(fieldValues: FieldValues(values, context: context))
        } catch {
            throw decodingError(error)
        }
    }

    /// A decoding failure of a stored model, with the field named.
    func decodingError(_ error: FieldValueError) -> DataStoreError {
        var path = error.path
        if let first = path.first, first.hasPrefix("#"), let index = Int(first.dropFirst()), index < fields.count {
            path[0] = fields[index].name
        }
        return DataStoreError(
            code: .decodingFailed,
            message: "A stored \(name) cannot be decoded: \(error.reason). The store holds a value this "
                + "version of the model does not accept.",
            model: name,
            field: path.isEmpty ? nil : path.joined(separator: ".")
        )
    }
}
