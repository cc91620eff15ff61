public import DataStore

/// An AppSync error object, as HTTP responses carry it in `errors` and real-time `error` and
/// `connection_error` frames in `payload.errors` (PROTOCOL §2, §4.4, §6.3): `errorType` and
/// `data` are top-level members, as both Amplify clients read them.
///
/// The server throws it; a client decodes it with ``init(decoding:)``.
public struct AppSyncError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A position in the request's document.
    public struct Location: Hashable, Sendable {
        /// The line, from 1.
        public let line: Int
        /// The column, from 1.
        public let column: Int

        /// The position at `line`:`column`.
        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }
    }

    /// The AppSync error type; nil for plain GraphQL errors (a document that does not validate).
    public var errorType: AppSyncErrorType?
    /// What went wrong, and where.
    public var message: String
    /// The item reported with the error (the server's copy, for `ConflictUnhandled`).
    public var data: FieldValue?
    /// Details for programs (AppSync's member for them): for a document over a limit,
    /// `{"limit": …, "allowed": …, "found": …}`.
    public var errorInfo: FieldValue?
    /// The response path of the field that failed: names and list positions.
    public var path: [FieldValue]?
    /// Where in the document the error is.
    public var locations: [Location]
    /// The HTTP-like status of a `connection_error` (401 for credentials, 408 for a late
    /// `connection_init`).
    public var errorCode: Int?

    /// An error object of type `errorType` (nil for a plain GraphQL error) saying `message`.
    public init(
        _ errorType: AppSyncErrorType?,
        _ message: String,
        data: FieldValue? = nil,
        errorInfo: FieldValue? = nil,
        path: [FieldValue]? = nil,
        locations: [Location] = [],
        errorCode: Int? = nil
    ) {
        self.errorType = errorType
        self.message = message
        self.data = data
        self.errorInfo = errorInfo
        self.path = path
        self.locations = locations
        self.errorCode = errorCode
    }

    /// The value as text, for messages and logs.
    public var description: String {
        errorType.map { "\($0): \(message)" } ?? message
    }

    /// The error object, with the members it has (absent ones are left out).
    public var jsonValue: FieldValue {
        var object: [String: FieldValue] = ["message": .string(message)]
        if let errorType { object["errorType"] = .string(errorType.rawValue) }
        if let data { object["data"] = data }
        if let errorInfo { object["errorInfo"] = errorInfo }
        if let path { object["path"] = .list(path) }
        if !locations.isEmpty {
            object["locations"] = .list(locations.map { ["line": .int($0.line), "column": .int($0.column)] })
        }
        if let errorCode { object["errorCode"] = .int(errorCode) }
        return .object(object)
    }

    /// Reads an error object. Members other than `message` are optional; a `null` member reads
    /// as absent, and unknown members are ignored.
    ///
    /// - Throws: ``AppSyncDecodingError`` when the value is not an object with a `message`
    ///   string, or a member has the wrong type.
    public init(decoding value: FieldValue) throws(AppSyncDecodingError) {
        guard case .object(let members) = value else {
            throw AppSyncDecodingError("An error object must be a JSON object.", at: "errors[]")
        }
        guard case .string(let message)? = members["message"] else {
            throw AppSyncDecodingError("An error object needs a \"message\" string.", at: "errors[].message")
        }
        var errorType: AppSyncErrorType?
        switch members["errorType"] {
        case nil, .null?: break
        case .string(let name)?: errorType = AppSyncErrorType(rawValue: name)
        default: throw AppSyncDecodingError("\"errorType\" must be a string.", at: "errors[].errorType")
        }
        var path: [FieldValue]?
        switch members["path"] {
        case nil, .null?: break
        case .list(let elements)?: path = elements
        default: throw AppSyncDecodingError("\"path\" must be a list.", at: "errors[].path")
        }
        var locations: [Location] = []
        switch members["locations"] {
        case nil, .null?: break
        case .list(let elements)?:
            for element in elements {
                guard case .object(let location) = element, case .int(let line)? = location["line"],
                    case .int(let column)? = location["column"]
                else {
                    throw AppSyncDecodingError(
                        "A location must be {\"line\": Int, \"column\": Int}.",
                        at: "errors[].locations"
                    )
                }
                locations.append(Location(line: line, column: column))
            }
        default: throw AppSyncDecodingError("\"locations\" must be a list.", at: "errors[].locations")
        }
        var errorCode: Int?
        switch members["errorCode"] {
        case nil, .null?: break
        case .int(let code)?: errorCode = code
        default: throw AppSyncDecodingError("\"errorCode\" must be an integer.", at: "errors[].errorCode")
        }
        self.init(
            errorType,
            message,
            data: members["data"].flatMap { $0.isNull ? nil : $0 },
            errorInfo: members["errorInfo"].flatMap { $0.isNull ? nil : $0 },
            path: path,
            locations: locations,
            errorCode: errorCode
        )
    }
}

/// A message, response or item that does not have the shape the protocol gives it.
public struct AppSyncDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let message: String
    /// Where: a path into the decoded value (`data.syncPosts.items[3]._version`).
    public let path: String

    /// A decoding error saying `message` about the value at `path`.
    public init(_ message: String, at path: String) {
        self.message = message
        self.path = path
    }

    /// The value as text, for messages and logs.
    public var description: String { "\(path): \(message)" }
}
