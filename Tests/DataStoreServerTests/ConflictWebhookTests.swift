import DataStore
import DataStoreAppSync
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import DataStoreServer

/// What a test webhook was sent.
private final class Calls: Sendable {
    private let calls = Locked<[FieldValue]>([])
    func append(_ call: FieldValue) { calls.withLock { $0.append(call) } }
    var last: FieldValue? { calls.withLock { $0.last } }
}

@Suite("CUSTOM conflicts through an HTTP webhook")
struct ConflictWebhookTests {
    /// Runs a real webhook server on loopback that answers by the incoming item's title, and
    /// records what it was sent.
    private func withWebhook(
        _ body: @escaping @Sendable (String, Calls) async throws -> Void
    )
        async throws
    {
        let received = Calls()
        let router = Router()
        router.post("conflict") { request, _ -> Response in
            let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
            let call = try FieldValue(jsonText: text)
            received.append(call)
            let answer: (HTTPResponse.Status, String)
            switch call["newItem"]?["title"] {
            case "resolve":
                var item = call["newItem"]!
                if case .object(var fields) = item {
                    fields["title"] = "Resolved by the webhook"
                    item = .object(fields)
                }
                answer = (.ok, FieldValue.object(["action": "RESOLVE", "item": item]).jsonText)
            case "reject": answer = (.ok, #"{"action":"REJECT"}"#)
            case "remove": answer = (.ok, #"{"action":"REMOVE"}"#)
            case "fail": answer = (.internalServerError, "{}")
            case "garbage": answer = (.ok, "<html>")
            default: answer = (.ok, #"{"action":"RESOLVE"}"#)
            }
            return Response(status: answer.0, body: ResponseBody(byteBuffer: ByteBuffer(string: answer.1)))
        }
        let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)/conflict", received)
        }
    }

    @Test("RESOLVE writes the webhook's item, REJECT and failures are ConflictUnhandled, REMOVE deletes")
    func webhook() async throws {
        try await withWebhook { url, received in
            let dataSource = try makeDataSource(configure: {
                $0.defaultStrategy = .custom(ConflictHandlers.webhook(url))
            })
            func stale(_ title: String) async throws -> FieldValue {
                let post = try await dataSource.create("Post", input: ["title": "Original", "rating": 3])
                _ = try await dataSource.update("Post", input: ["id": post["id"]!, "_version": 1, "rating": 4])
                // Version 1 is stale now: the webhook decides.
                return try await dataSource.update(
                    "Post",
                    input: ["id": post["id"]!, "_version": 1, "title": .string(title)]
                )
            }

            let resolved = try await stale("resolve")
            #expect(resolved["title"] == "Resolved by the webhook")
            #expect(resolved["_version"] == 3)
            let call = try #require(received.last)
            #expect(call["model"] == "Post" && call["operation"] == "update")
            #expect(call["existingItem"]?["title"] == "Original" && call["existingItem"]?["rating"] == 4)
            #expect(call["newItem"]?["rating"] == 4)
            #expect(call["arguments"]?["input"]?["title"] == "resolve")

            for (title, fragment) in [
                ("reject", "rejects"), ("fail", "HTTP 500"), ("garbage", "not JSON"), ("incomplete", "without an"),
            ] {
                let error = await expectServerError(.conflictUnhandled) { _ = try await stale(title) }
                #expect(error?.message.contains(fragment) == true, "\(title): \(error?.message ?? "")")
                // The server's item comes with the error, unchanged.
                #expect(error?.data?["title"] == "Original" && error?.data?["_version"] == 2)
            }

            let post = try await dataSource.create("Post", input: ["title": "Original"])
            _ = try await dataSource.update("Post", input: ["id": post["id"]!, "_version": 1, "rating": 1])
            let removed = try await dataSource.update(
                "Post",
                input: ["id": post["id"]!, "_version": 1, "title": "remove"]
            )
            #expect(removed["_deleted"] == true && removed["_version"] == 3)
        }
    }

    @Test("an unreachable webhook fails the mutation with ConflictUnhandled and writes nothing")
    func unreachable() async throws {
        // Port 9 (discard) on loopback: nothing listens there.
        let dataSource = try makeDataSource(configure: {
            $0.defaultStrategy = .custom(ConflictHandlers.webhook("http://127.0.0.1:9/conflict", timeout: .seconds(2)))
        })
        let post = try await dataSource.create("Post", input: ["title": "Original"])
        _ = try await dataSource.update("Post", input: ["id": post["id"]!, "_version": 1, "rating": 1])
        await expectServerError(.conflictUnhandled) {
            _ = try await dataSource.update("Post", input: ["id": post["id"]!, "_version": 1, "title": "Lost?"])
        }
        #expect(try await dataSource.get("Post", key: ["id": post["id"]!])?["title"] == "Original")
    }
}
