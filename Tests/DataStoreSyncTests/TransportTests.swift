import AsyncHTTPClient
import DataStore
import DataStoreAppSync
import DataStoreServerTesting
import Foundation
import NIOHTTP1
import Testing

@testable import DataStoreSync

/// The HTTP transport against a real server in the test process.
@Suite("HTTP transport")
struct TransportTests {
    static let schema = """
        type Note @model {
          id: ID!
          text: String!
        }
        """

    @Test("a mutation and its answer; a wrong key is a 401 that pauses; no server is a transport failure")
    func exchange() async throws {
        try await withSyncClient { client in try await exchange(client) }
    }

    private func exchange(_ client: HTTPClient) async throws {
        try await withTestServer(schema: Self.schema) { server in
            let endpoint = try #require(URL(string: server.endpoint))
            let transport = AppSyncHTTPTransport(
                endpoint: endpoint,
                authorization: .apiKey(server.apiKey),
                client: client
            )
            let create = OperationRequest(
                query: "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id text _version } }",
                variables: ["input": ["id": "n1", "text": "hello"]]
            )
            let response = try await transport.send(create)
            guard case .object(let note) = try response.value(of: "createNote") else {
                Issue.record("no note in \(response)")
                return
            }
            #expect(note["_version"] == 1 && note["text"] == "hello")
            // The same create again: a GraphQL answer with an error, classified as a failed condition.
            let again = try await transport.send(create)
            #expect(FailureClassifier.classify(.errors(again.errors)) == .conditionFailed(again.errors[0].message))

            let stranger = AppSyncHTTPTransport(endpoint: endpoint, authorization: .apiKey("wrong"), client: client)
            do throws(SendFailure) {
                _ = try await stranger.send(create)
                Issue.record("a wrong key was accepted")
            } catch {
                guard case .status(401, _, let errors) = error else {
                    Issue.record("unexpected failure \(error)")
                    return
                }
                #expect(errors.first?.errorType == .unauthorized)
                guard case .pause = FailureClassifier.classify(error) else {
                    Issue.record("a 401 does not pause: \(FailureClassifier.classify(error))")
                    return
                }
            }
            let tokens = AppSyncHTTPTransport(
                endpoint: endpoint,
                authorization: .token { throw CancellationError() },
                client: client
            )
            await #expect(throws: SendFailure.self) { _ = try await tokens.send(create) }
        }
        // The server has stopped: nothing listens on its port any more.
        let closed = try #require(URL(string: "http://127.0.0.1:1/graphql"))
        let transport = AppSyncHTTPTransport(
            endpoint: closed,
            authorization: .apiKey("k"),
            client: client,
            timeout: .seconds(5)
        )
        do throws(SendFailure) {
            _ = try await transport.send(OperationRequest(query: "{ __typename }"))
            Issue.record("a closed port answered")
        } catch {
            guard case .transport = error else {
                Issue.record("unexpected failure \(error)")
                return
            }
            #expect(FailureClassifier.classify(error) == .retry(retryAfter: nil))
        }
    }

    @Test("Retry-After in seconds or as an HTTP date; anything else is ignored")
    func retryAfter() {
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        func wait(_ value: String) -> Duration? {
            AppSyncHTTPTransport.retryAfter(HTTPHeaders([("Retry-After", value)]), now: now)
        }
        #expect(wait("120") == .seconds(120))
        #expect(wait(" 0 ") == .zero)
        #expect(wait("Mon, 21 Sep 2026 14:13:50 GMT") == .seconds(30))
        #expect(wait("Mon, 21 Sep 2026 14:13:00 GMT") == .zero)
        #expect(wait("soon") == nil)
        #expect(wait("-5") == nil)
        #expect(AppSyncHTTPTransport.retryAfter(HTTPHeaders(), now: now) == nil)
    }
}

/// Runs `body` with a sync HTTP client, shut down afterwards.
func withSyncClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
    let client = AppSyncHTTPTransport.makeClient()
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}
