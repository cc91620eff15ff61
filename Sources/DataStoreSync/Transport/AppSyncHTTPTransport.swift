public import AsyncHTTPClient
public import DataStore
public import DataStoreAppSync
public import Foundation
import NIOCore
import NIOHTTP1

/// The GraphQL endpoint over HTTP (PROTOCOL §2): a POST of `{query, variables}` with the
/// credentials in a header, through AsyncHTTPClient.
public struct AppSyncHTTPTransport: GraphQLTransport {
    /// The GraphQL endpoint (`https://…/graphql`).
    public let endpoint: URL
    /// The credentials sent with every request.
    public let authorization: SyncAuthorization
    /// How long one request may take, connecting included.
    public let timeout: Duration
    /// The largest answer read; a larger one fails as malformed (a sync page of 1,000 wide items
    /// is a few megabytes).
    public let maximumResponseBytes: Int
    private let client: HTTPClient

    /// A transport to `endpoint` through `client` (see ``makeClient(connectTimeout:)``; its owner
    /// shuts it down).
    public init(
        endpoint: URL,
        authorization: SyncAuthorization,
        client: HTTPClient,
        timeout: Duration = .seconds(30),
        maximumResponseBytes: Int = 64 << 20
    ) {
        self.endpoint = endpoint
        self.authorization = authorization
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
        self.client = client
    }

    /// An HTTP client for sync: it fails a request whose connection cannot be made at once,
    /// instead of retrying the connection until the request's deadline, because the outbox has
    /// its own retry policy (and a server that is down should be known to be down).
    public static func makeClient(connectTimeout: Duration = .seconds(10)) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .nanoseconds(connectTimeout.nanoseconds)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends `request` with the default credentials; see ``GraphQLTransport/send(_:)``.
    public func send(_ request: OperationRequest) async throws(SendFailure) -> GraphQLResponse {
        try await send(request, mode: nil)
    }

    /// Sends `request` with the credentials of `mode` (nil: the default). A token the backend
    /// refuses with 401 is asked for again once: when the provider has a new one (it expired on
    /// the way), the request goes again with it.
    public func send(
        _ request: OperationRequest,
        mode: ModelAuthRule.Provider?
    ) async throws(SendFailure)
        -> GraphQLResponse
    {
        let credentials = try await authorization.header(mode)
        do {
            return try await post(request, credentials)
        } catch {
            guard case .status(401, _, _) = error, credentials.name == "Authorization" else { throw error }
            let fresh = try await authorization.header(mode)
            guard fresh.value != credentials.value else { throw error }
            return try await post(request, fresh)
        }
    }

    /// The credentials to try for `operation` on a model with `rules`.
    public func modes(for rules: [ModelAuthRule], _ operation: ModelAuthRule.Operation) -> [ModelAuthRule.Provider?] {
        authorization.modes(for: rules, operation)
    }

    private func post(
        _ request: OperationRequest,
        _ credentials: (name: String, value: String)
    ) async throws(SendFailure) -> GraphQLResponse {
        var http = HTTPClientRequest(url: endpoint.absoluteString)
        http.method = .POST
        http.headers.add(name: "content-type", value: "application/json")
        http.headers.add(name: credentials.name, value: credentials.value)
        http.body = .bytes(ByteBuffer(string: request.jsonValue.jsonText))
        let status: Int
        let headers: HTTPHeaders
        let text: String
        do {
            let response = try await client.execute(http, timeout: .nanoseconds(timeout.nanoseconds))
            status = Int(response.status.code)
            headers = response.headers
            text = String(buffer: try await response.body.collect(upTo: maximumResponseBytes))
        } catch let error as NIOTooManyBytesError {
            throw .malformed("The answer is larger than \(maximumResponseBytes) bytes: \(error).")
        } catch {
            throw .transport("\(error)")
        }
        let response = try? GraphQLResponse(jsonText: text)
        guard status == 200 else {
            throw .status(status, retryAfter: Self.retryAfter(headers), errors: response?.errors ?? [])
        }
        guard let response else {
            throw .malformed("The answer is not a GraphQL response: \(text.prefix(200))")
        }
        return response
    }

    /// A `Retry-After` header's wait: seconds, or an HTTP date from now.
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(max(0, Int64(date.timeIntervalSince(now) * 1_000)))
    }
}
