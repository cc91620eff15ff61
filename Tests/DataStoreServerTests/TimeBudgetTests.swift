import DataStore
import DataStoreTesting
import Testing

@testable import DataStoreServer

@Suite("Time budget: a request that runs too long is cancelled and answered")
struct TimeBudgetTests {
    @Test("work that finishes within the budget is its own answer, and the timer goes away")
    func finishes() async {
        let clock = ManualClock()
        let outcome = await TimeBudget.run({ 42 }, within: .seconds(5), clock: clock)
        guard case .finished(42) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(clock.sleeperCount == 0)
    }

    @Test("work still running when the budget ends is cancelled, and the answer does not wait for it")
    func exceeds() async {
        let clock = ManualClock()
        let release = Gate(open: false)
        let sawCancellation = Gate(open: false)
        async let outcome = TimeBudget.run(
            {
                await withTaskCancellationHandler {
                    await release.pass()
                } onCancel: {
                    sawCancellation.open()
                }
                return 1
            },
            within: .seconds(5),
            clock: clock
        )
        await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(5)))
        clock.advance(by: .seconds(5))
        guard case .exceeded = await outcome else {
            Issue.record("the budget did not end the request")
            return
        }
        await sawCancellation.pass()
        release.open()
    }

    @Test("a body that does not arrive within the budget is answered with 408")
    func slowBody() async throws {
        let clock = ManualClock()
        var options = ServerOptions()
        options.clock = clock
        options.requestTimeout = .seconds(30)
        try await withTestServer(schema: engineSchema, options: options) { server in
            let head =
                "POST /graphql HTTP/1.1\r\nHost: x\r\nx-api-key: \(server.apiKey)\r\n"
                + "content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"query\": "
            async let exchange = RawConnection.exchange(port: server.port, [Array(head.utf8)]) { received in
                String(decoding: received, as: UTF8.self).contains("\r\n\r\n{")
            }
            await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(30)))
            clock.advance(by: .seconds(30))
            let answer = try await exchange
            #expect(answer.status == 408, "\(answer.text.prefix(300))")
        }
    }

    @Test("a mutation stuck in a conflict handler is answered with 504 ExecutionTimeout when the budget ends")
    func serverAnswersWithinBudget() async throws {
        let clock = ManualClock()
        let entered = Gate(open: false)
        let release = Gate(open: false)
        var configuration = ServerConfiguration()
        configuration.defaultStrategy = .custom { _ in
            entered.open()
            await release.pass()
            return .reject
        }
        var options = ServerOptions()
        options.clock = clock
        options.requestTimeout = .seconds(30)
        try await withTestServer(schema: engineSchema, configuration: configuration, options: options) { server in
            _ = try await server.engine.create("Post", input: ["id": "p1", "title": "kept"], condition: nil)
            _ = try await server.engine.update(
                "Post",
                input: ["id": "p1", "title": "second", "_version": 1],
                condition: nil
            )
            async let exchange = RawConnection.exchange(
                port: server.port,
                [
                    HostileInputTests.request(
                        "mutation { updatePost(input: {id: \"p1\", title: \"stale\", _version: 1}) { id } }"
                    )
                ]
            )
            await entered.pass()
            // The budget's timer started before the handler was asked.
            await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(30)))
            clock.advance(by: .seconds(30))
            let answer = try await exchange
            #expect(answer.status == 504, "\(answer.text.prefix(300))")
            let body = try FieldValue(jsonText: answer.body)
            #expect(body["errors"]?[0]?["errorType"] == "ExecutionTimeout")
            release.open()
            #expect(try await server.engine.get("Post", key: ["id": "p1"])?["title"] == "second")
        }
    }
}
