/// The identifier of a model of type `M`: the values of its primary key fields, in key order.
///
/// Generated models offer a typed factory and property:
///
/// ```swift
/// let key = Order.identifier(customerID: "c1", orderDate: .init(...))
/// let order = try await store.query(Order.self, byIdentifier: key)
/// try await store.delete(Order.self, byIdentifier: order!.identifier)
/// ```
///
/// For a model whose key is the single field `id`, ``DataStore/query(_:byID:)`` is shorter.
public struct ModelKey<M: Model>: Hashable, Sendable, CustomStringConvertible {
    /// The key values, in ``ModelSchema/primaryKey`` order.
    public let values: [FieldValue]

    /// A key from values in ``ModelSchema/primaryKey`` order. They are checked against the model's
    /// key fields when the key is used.
    public init(_ values: [FieldValue]) {
        self.values = values
    }

    /// The key of `model`.
    public init(of model: M) {
        let fieldValues = model.fieldValues
        values = M.schema.primaryKey.map { name in
            M.schema.fieldIndex(named: name).map { fieldValues[$0] } ?? .null
        }
    }

    /// The key as text: single values as they are, composite keys joined by `#` (as Amplify writes
    /// them).
    public var description: String { ModelIdentifier(values).description }

    /// The key checked against `schema`: one value per key field, each of the field's type.
    ///
    /// - Throws: ``DataStoreError/Code/invalidQuery`` naming the field.
    func resolve(against schema: ModelSchema) throws(DataStoreError) -> ModelIdentifier {
        guard values.count == schema.primaryKey.count else {
            throw DataStoreError(
                code: .invalidQuery,
                message: "\(schema.name)'s identifier has \(schema.primaryKey.count) part(s) ("
                    + schema.primaryKey.joined(separator: ", ") + "), but \(values.count) value(s) were given.",
                model: schema.name
            )
        }
        var key: [FieldValue] = []
        for (index, value) in zip(schema.primaryKeyIndices, values) {
            let field = schema.fields[index]
            do {
                key.append(try ModelPredicate.normalizedOperand(value, for: field.type))
            } catch {
                throw DataStoreError(
                    code: .invalidQuery,
                    message: "The identifier value for \(field.name) does not fit: \(error.reason).",
                    model: schema.name,
                    field: field.name
                )
            }
        }
        return ModelIdentifier(key)
    }
}
