import DataStore
import DataStoreServerTesting
import DataStoreTesting
import Testing

@testable import DataStoreServer

@Suite("Time budget: a request that runs too long is cancelled and answered")
struct TimeBudgetTests {
    /// Returns once the calling task is cancelled (or `gate` opens), as work that awaits storage or
    /// a webhook does.
    static func untilCancelled(_ gate: Gate = Gate(open: false)) async {
        await withTaskCancellationHandler {
            await gate.pass()
        } onCancel: {
            gate.open()
        }
    }

    @Test("work that finishes within the budget is its own answer, and leaves the table")
    func finishes() async {
        let budgets = TimeBudgets()
        let outcome = await budgets.run({ 42 }, within: .seconds(5))
        guard case .finished(42) = outcome else {
            Issue.record("\(outcome)")
            return
        }
        #expect(budgets.count == 0)
    }

    @Test("work still running when its deadline comes is cancelled, and the request is over budget")
    func exceeds() async {
        let budgets = TimeBudgets()
        let started = Gate(open: false)
        async let outcome = budgets.run(
            {
                started.open()
                await Self.untilCancelled()
                return 1
            },
            within: .seconds(5)
        )
        await started.pass()
        budgets.advance(by: .seconds(4))
        #expect(budgets.count == 1)
        budgets.advance(by: .seconds(1))
        guard case .exceeded = await outcome else {
            Issue.record("the budget did not end the request")
            return
        }
        #expect(budgets.count == 0)
    }

    @Test("the watch measures the server's clock, however far it moves at once")
    func watch() async {
        let clock = ManualClock()
        let budgets = TimeBudgets()
        let watch = TimeBudgetWatch(budgets: budgets, interval: .seconds(1), clock: clock)
        let running = Task { await watch.run() }
        let started = Gate(open: false)
        async let outcome = budgets.run(
            {
                started.open()
                await Self.untilCancelled()
                return 1
            },
            within: .seconds(30)
        )
        await started.pass()
        await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(1)))
        clock.advance(by: .seconds(30))
        guard case .exceeded = await outcome else {
            Issue.record("the watch did not end the request")
            return
        }
        running.cancel()
        await running.value
    }

    @Test("a body that does not arrive within the budget is answered with 408")
    func slowBody() async throws {
        let clock = ManualClock()
        var configuration = ServerConfiguration()
        configuration.clock = clock
        var options = ServerOptions()
        options.requestTimeout = .seconds(30)
        try await withTestServer(schema: testSchema, configuration: configuration, options: options) { server in
            let head =
                "POST /graphql HTTP/1.1\r\nHost: x\r\nx-api-key: \(server.apiKey)\r\n"
                + "content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"query\": "
            async let exchange = RawConnection.exchange(port: server.port, [Array(head.utf8)]) { received in
                String(decoding: received, as: UTF8.self).contains("\r\n\r\n{")
            }
            // The handler registers the request once the head is read; nothing else marks that.
            while server.application.budgets.count == 0 { await Task.yield() }
            await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(1)))
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
        configuration.clock = clock
        configuration.defaultStrategy = .custom { _ in
            entered.open()
            await Self.untilCancelled(release)
            return .reject
        }
        var options = ServerOptions()
        options.requestTimeout = .seconds(30)
        try await withTestServer(schema: testSchema, configuration: configuration, options: options) { server in
            _ = try await server.dataSource.create("Post", input: ["id": "p1", "title": "kept"], condition: nil)
            _ = try await server.dataSource.update(
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
            // The request is in the budget table before its work starts; the watch sleeps a second.
            await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(1)))
            clock.advance(by: .seconds(30))
            let answer = try await exchange
            #expect(answer.status == 504, "\(answer.text.prefix(300))")
            let body = try FieldValue(jsonText: answer.body)
            #expect(body["errors"]?[0]?["errorType"] == "ExecutionTimeout")
            release.open()
            #expect(try await server.dataSource.get("Post", key: ["id": "p1"])?["title"] == "second")
        }
    }
}
