import GraphQL

/// Input coercion of the numeric scalars as the GraphQL specification defines it, for literals in
/// the query and for variables alike.
///
/// GraphQLSwift's `Int` takes any number within 32 bits from a variable (`1.5` included) and any
/// integer literal that fits 64 bits; a custom scalar built from SDL, such as `AWSTimestamp`, takes
/// any literal at all (a string, an object). The server would then act on such a value (a
/// `_version` of 1.5). Here:
///
/// - `Int` takes integers within 32 bits, and numbers with no fraction within them (JSON has one
///   number type: `1.0` is the integer 1, as in graphql-js); nothing else.
/// - `AWSTimestamp` is the same at 64 bits (a JSON number with a fraction is refused).
/// - `Float` takes finite numbers only (a literal `1e999` is infinite).
///
/// Every entry of input (literals in validation and execution, variables in execution) goes
/// through these functions: GraphQL calls `parseLiteral` and `parseValue` of the schema's types.
enum StrictScalars {
    /// Installs the strict coercions on `schema`'s numeric scalars.
    ///
    /// `Int` and `Float` are GraphQLSwift's shared instances (every schema in the process has the
    /// same ones), so this changes them for the whole process, to the specification's behaviour;
    /// setting them is idempotent and thread-safe (the library guards the properties with a
    /// barrier queue).
    static func install(on schema: GraphQLSchema) {
        if let int = schema.getType(name: "Int") as? GraphQLScalarType {
            int.parseValue = { try integer($0, bits: 32, type: "Int") }
            int.parseLiteral = { try integerLiteral($0, bits: 32, type: "Int") }
        }
        if let timestamp = schema.getType(name: "AWSTimestamp") as? GraphQLScalarType {
            timestamp.parseValue = { try integer($0, bits: 64, type: "AWSTimestamp") }
            timestamp.parseLiteral = { try integerLiteral($0, bits: 64, type: "AWSTimestamp") }
        }
        if let float = schema.getType(name: "Float") as? GraphQLScalarType {
            float.parseValue = { value in
                guard case .number(let number) = value, number.storageType != .bool, number.doubleValue.isFinite
                else { throw GraphQLError(message: "Float cannot represent a non-numeric or infinite value: \(value)") }
                return value
            }
            float.parseLiteral = { literal in
                let text = (literal as? FloatValue)?.value ?? (literal as? IntValue)?.value
                guard let text, let double = Double(text), double.isFinite else {
                    throw GraphQLError(
                        message:
                            "Float cannot represent a non-numeric or infinite value: \(CompoundLiteralRule.excerpt(literal))",
                        nodes: [literal]
                    )
                }
                return .number(Number(double))
            }
        }
    }

    /// The result of coercing a variable's value to an integer type of `bits` bits.
    static func integer(_ value: Map, bits: Int, type: String) throws -> Map {
        let range = bits == 64 ? Int.min...Int.max : -(1 << (bits - 1))...((1 << (bits - 1)) - 1)
        if case .number(let number) = value {
            switch number.storageType {
            case .int:
                if range.contains(number.intValue) { return .number(Number(number.intValue)) }
            case .double:
                let double = number.doubleValue
                // Below 2^63 in magnitude, so the conversion cannot trap.
                if double.isFinite, double.rounded(.towardZero) == double, abs(double) < 0x1p63,
                    range.contains(Int(double))
                {
                    return .number(Number(Int(double)))
                }
            default:
                break
            }
        }
        throw GraphQLError(message: "\(type) cannot represent \(describe(value)): it takes integers of \(bits) bits.")
    }

    /// The result of coercing a literal to an integer type of `bits` bits.
    static func integerLiteral(_ literal: any Value, bits: Int, type: String) throws -> Map {
        if let literal = literal as? IntValue, let number = Int(literal.value) {
            return try integer(.number(Number(number)), bits: bits, type: type)
        }
        throw GraphQLError(
            message:
                "\(type) cannot represent \(CompoundLiteralRule.excerpt(literal)): it takes integers of \(bits) bits.",
            nodes: [literal]
        )
    }

    private static func describe(_ value: Map) -> String {
        switch value {
        case .number(let number):
            number.storageType == .int ? "\(number.intValue)" : "\(number.doubleValue)"
        case .string(let text): "the string \"\(text.prefix(40))\""
        case .bool(let flag): "\(flag)"
        case .null, .undefined: "null"
        case .array: "a list"
        case .dictionary: "an object"
        }
    }
}
