import DataStore
import DataStoreAppSync

/// Whether the backend can be reached, as requests find out: any answer (even an error status)
/// means reachable, a failed transport means not. Reports changes only.
struct NetworkStatus: Hashable, Sendable {
    /// The last status reported; nil before the first request ends.
    private(set) var isActive: Bool?

    /// Records how a request ended; returns the new status when it changed.
    mutating func record(reached: Bool) -> Bool? {
        guard isActive != reached else { return nil }
        isActive = reached
        return reached
    }
}

/// The transport sync sends through: the configured one, with every request's outcome feeding
/// ``NetworkStatus`` and its changes reported as `networkStatus` events.
struct ObservedTransport: GraphQLTransport {
    let base: any GraphQLTransport
    let events: EventBroadcaster
    private let status = Locked(NetworkStatus())

    init(_ base: any GraphQLTransport, events: EventBroadcaster) {
        self.base = base
        self.events = events
    }

    func send(_ request: OperationRequest) async throws(SendFailure) -> GraphQLResponse {
        do {
            let response = try await base.send(request)
            record(reached: true)
            return response
        } catch {
            if case .transport = error { record(reached: false) } else { record(reached: true) }
            throw error
        }
    }

    private func record(reached: Bool) {
        // Changed and reported under the lock, so that two requests ending together report in
        // the order their changes were made.
        status.withLock { status in
            if let change = status.record(reached: reached) { events.yield(.networkStatus(isActive: change)) }
        }
    }
}
