/// A local mutation waiting to be sent to the backend.
public struct OutboxEntry: Hashable, Sendable {
    /// The kind of mutation.
    public enum Kind: String, Hashable, Sendable {
        case create, update, delete
    }

    /// Position in the outbox; assigned when the entry is stored.
    public internal(set) var sequence: Int64
    /// The model name.
    public let modelName: String
    /// The model's identifier as text.
    public let modelID: String
    /// What the mutation does.
    public internal(set) var kind: Kind
    /// The model's values as a JSON object keyed by field name.
    public internal(set) var payload: String
    /// The mutation's condition as a GraphQL condition input (JSON), if any.
    public let condition: String?
    /// When the mutation was made, in milliseconds since 1970.
    public let enqueuedAt: Int64
    /// Whether the mutation has been handed to the network.
    public internal(set) var inFlight: Bool

    package init(
        sequence: Int64,
        modelName: String,
        modelID: String,
        kind: Kind,
        payload: String,
        condition: String?,
        enqueuedAt: Int64,
        inFlight: Bool
    ) {
        self.sequence = sequence
        self.modelName = modelName
        self.modelID = modelID
        self.kind = kind
        self.payload = payload
        self.condition = condition
        self.enqueuedAt = enqueuedAt
        self.inFlight = inFlight
    }
}
