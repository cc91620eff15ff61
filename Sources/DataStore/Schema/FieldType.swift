/// The GraphQL type of a stored field.
public indirect enum FieldType: Hashable, Sendable {
    case id
    case string
    case int
    case float
    case boolean
    /// `AWSDate`
    case date
    /// `AWSTime`
    case time
    /// `AWSDateTime`
    case dateTime
    /// `AWSTimestamp`: seconds since the epoch, a 64-bit integer.
    case timestamp
    /// `AWSEmail`
    case email
    /// `AWSJSON`: a string holding a JSON document.
    case json
    /// `AWSURL`
    case url
    /// `AWSPhone`
    case phone
    /// `AWSIPAddress`
    case ipAddress
    /// A GraphQL enum.
    case enumeration(EnumType)
    /// A GraphQL non-model type, stored inside the model.
    case embedded(EmbeddedType)
    /// A list. `elementsRequired` is the `!` inside the brackets (`[String!]`).
    case list(of: FieldType, elementsRequired: Bool)

    /// The GraphQL name of the type (`AWSDateTime`, `[String!]`).
    public var graphQLName: String {
        switch self {
        case .id: "ID"
        case .string: "String"
        case .int: "Int"
        case .float: "Float"
        case .boolean: "Boolean"
        case .date: "AWSDate"
        case .time: "AWSTime"
        case .dateTime: "AWSDateTime"
        case .timestamp: "AWSTimestamp"
        case .email: "AWSEmail"
        case .json: "AWSJSON"
        case .url: "AWSURL"
        case .phone: "AWSPhone"
        case .ipAddress: "AWSIPAddress"
        case .enumeration(let type): type.name
        case .embedded(let type): type.name
        case .list(let element, let required): "[\(element.graphQLName)\(required ? "!" : "")]"
        }
    }

    /// Whether values of this type are single comparable values (not lists or objects).
    public var isScalar: Bool {
        switch self {
        case .list, .embedded: false
        default: true
        }
    }

    /// Whether string operators (`beginsWith`, substring `contains`) apply to the type.
    var isStringLike: Bool {
        switch self {
        case .id, .string, .email, .json, .url, .phone, .ipAddress, .date, .time, .dateTime: true
        default: false
        }
    }

    /// Whether the type is ordered (`<`, `between`, …).
    var isOrdered: Bool {
        switch self {
        case .boolean, .enumeration, .list, .embedded: false
        default: true
        }
    }

    var isNumeric: Bool {
        switch self {
        case .int, .float, .timestamp: true
        default: false
        }
    }
}

/// A GraphQL enum type.
public struct EnumType: Hashable, Sendable {
    /// The GraphQL type name.
    public let name: String
    /// The GraphQL values, in declaration order.
    public let values: [String]

    /// An enum named `name` with the GraphQL `values`.
    public init(name: String, values: [String]) {
        self.name = name
        self.values = values
    }
}
