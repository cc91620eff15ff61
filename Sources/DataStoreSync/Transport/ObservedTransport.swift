import DataStore
import DataStoreAppSync

/// The transport sync sends through: the configured one, with every request's outcome recorded
/// by the store's ``ReachabilityMonitor`` (any answer, even an error status, means reachable; a
/// failed transport means not).
struct ObservedTransport: GraphQLTransport {
    let base: any GraphQLTransport
    let monitor: ReachabilityMonitor

    func send(_ request: OperationRequest) async throws(SendFailure) -> GraphQLResponse {
        try await send(request, mode: nil)
    }

    func send(_ request: OperationRequest, mode: ModelAuthRule.Provider?) async throws(SendFailure) -> GraphQLResponse {
        do {
            let response = try await base.send(request, mode: mode)
            monitor.record(reached: true)
            return response
        } catch {
            if case .transport = error { monitor.record(reached: false) } else { monitor.record(reached: true) }
            throw error
        }
    }

    func modes(for rules: [ModelAuthRule], _ operation: ModelAuthRule.Operation) -> [ModelAuthRule.Provider?] {
        base.modes(for: rules, operation)
    }
}
