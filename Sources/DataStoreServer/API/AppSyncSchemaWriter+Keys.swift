import DataStore
import DataStoreSchema

/// The arguments of key queries (`@primaryKey` lists, `@index` query fields) and the key
/// condition inputs they take.
extension AppSyncSchemaWriter {
    /// A key's arguments and their declarations: the partition key, then the sort key condition,
    /// whose input types are written on first use (`ModelStringKeyConditionInput`, or for several
    /// sort key fields `Model<Model><Index>CompositeKeyConditionInput` with its key input).
    mutating func keyArguments(
        _ model: ModelDefinition,
        index: String?,
        fields: [String]
    ) -> (
        arguments: AppSyncSchema.KeyArguments, declarations: (_ partitionRequired: Bool) -> [String]
    ) {
        let schema = model.schema
        let keyFields = fields.compactMap { schema.field(named: $0) }
        guard let partition = keyFields.first else {
            let arguments = AppSyncSchema.KeyArguments(
                index: index,
                partition: fields[0],
                sortCondition: nil,
                isSorted: false
            )
            return (arguments, { _ in [] })
        }
        let sortFields = Array(keyFields.dropFirst())
        var sortArgument: (name: String, type: String)?
        if sortFields.count == 1, let type = Self.keyConditionScalar(sortFields[0].type) {
            let input = "Model\(type)KeyConditionInput"
            if writtenInputs.insert(input).inserted {
                let operators =
                    ["eq", "le", "lt", "ge", "gt", "between"] + (type == "String" || type == "ID" ? ["beginsWith"] : [])
                block("input \(input)", operators.map { "\($0): \($0 == "between" ? "[\(type)]" : type)" })
            }
            sortArgument = (sortFields[0].name, input)
        } else if sortFields.count > 1 {
            let keyName = index.map(Naming.upperFirst) ?? "Primary"
            let condition = "Model\(schema.name)\(keyName)CompositeKeyConditionInput"
            let keyInput = "Model\(schema.name)\(keyName)CompositeKeyInput"
            if writtenInputs.insert(condition).inserted {
                block(
                    "input \(condition)",
                    ["eq", "le", "lt", "ge", "gt", "between", "beginsWith"].map {
                        "\($0): \($0 == "between" ? "[\(keyInput)]" : keyInput)"
                    }
                )
                block(
                    "input \(keyInput)",
                    sortFields.enumerated().map { offset, field in
                        // The last field takes its scalar's base type, as the transformer writes it.
                        let type =
                            offset == sortFields.count - 1
                            ? Self.keyConditionScalar(field.type) ?? field.type.graphQLName : field.type.graphQLName
                        return "\(field.name): \(type)"
                    }
                )
            }
            sortArgument = (Naming.camelCase(sortFields.map(\.name)), condition)
        }
        let arguments = AppSyncSchema.KeyArguments(
            index: index,
            partition: partition.name,
            sortCondition: sortArgument?.name,
            isSorted: !sortFields.isEmpty
        )
        let partitionArgument = "\(partition.name): \(partition.type.graphQLName)"
        let sortDeclarations = sortArgument.map { ["\($0.name): \($0.type)"] } ?? []
        return (
            arguments,
            { partitionRequired in [partitionArgument + (partitionRequired ? "!" : "")] + sortDeclarations }
        )
    }

    /// The scalar whose key condition input a one-field sort key of `type` takes (AppSync's
    /// scalars map to String or Int, enums to String); nil for Booleans and non-scalars.
    static func keyConditionScalar(_ type: FieldType) -> String? {
        switch type {
        case .id: "ID"
        case .string, .date, .time, .dateTime, .email, .json, .url, .phone, .ipAddress, .enumeration: "String"
        case .int, .timestamp: "Int"
        case .float: "Float"
        case .boolean, .embedded, .list: nil
        }
    }
}
