import AsyncHTTPClient
import BlogModels
import DataStore
import DataStoreAppSync
import DataStoreServer
import DataStoreServerTesting
import DataStoreTesting
import Foundation
import Testing

@testable import DataStoreSync

/// A process draining a large outbox, killed with SIGKILL at random moments: the test re-launches
/// its own executable as the drainer (the helper test below, enabled only in the child).
@Suite("Killed process", .timeLimit(.minutes(2)))
struct KilledProcessTests {
    static let helperVariable = "DATASTORE_DRAIN_HELPER"

    @Test("killed while draining, again and again: reopened, every mutation reaches the server exactly once")
    func killedWhileDraining() async throws {
        let seed = SeededRandom.seed(named: "killed-process")
        print("killed-process seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
        var random = SeededRandom(seed: seed)
        // Killed after a random number of mutations in each round but the last.
        let thresholds = (0..<3).map { _ in Int.random(in: 1...60, using: &random) } + [Int.max]
        let count = 400
        try await withBlogServer { server, client in
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let file = directory.file()
            // A full outbox: saved while nothing syncs.
            try await withSyncedStore(server, client: client, directory: directory) { synced in
                try await synced.store.save(
                    (0..<count).map { Post(id: "k\($0)", title: "t\($0)", rating: $0 % 5, status: .active) }
                )
            }
            var kills = 0
            for threshold in thresholds {
                let finished = try await drain(file, server, killAfter: threshold)
                if finished { break }
                kills += 1
            }
            #expect(kills >= 1, "seed \(seed)")
            // Whatever the kills left, a last drain in this process finishes it.
            try await withSyncedStore(server, client: client, directory: directory) { synced in
                var events = synced.events.makeAsyncIterator()
                await synced.start()
                await next(&events) { $0 == .ready }
                try await emptied(synced)
                #expect(try await synced.deadLetters().isEmpty, "seed \(seed)")
            }
            for index in 0..<count {
                let stored = try await serverPost(server, "k\(index)")
                #expect(stored?["_version"] == 1 && stored?["title"] == .string("t\(index)"), "k\(index), seed \(seed)")
            }
            var (items, token) = (0, String?.none)
            repeat {
                let page = try await server.dataSource.sync("Post", limit: 1_000, nextToken: token)
                items += page.items.count
                token = page.nextToken
            } while token != nil
            #expect(items == count, "seed \(seed)")
            print("killed-process: \(kills) kills, thresholds \(thresholds.dropLast())")
        }
    }

    /// Runs the drainer on `file` in a child process; kills it with SIGKILL once it reported
    /// `killAfter` processed mutations. Returns true when it finished by itself.
    func drain(_ file: URL, _ server: TestServer, killAfter: Int) async throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--testing-library", "swift-testing", "--filter", "drainHelper"]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.helperVariable] = [file.path, server.endpoint, server.apiKey].joined(separator: "\n")
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        // The child's output, as it comes; unbounded, as the child writes a line per mutation
        // of a bounded outbox and the test reads them as they come.
        let (chunks, continuation) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .unbounded)
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                continuation.finish()
            } else {
                continuation.yield(data)
            }
        }
        try process.run()
        var processed = 0
        var finished = false
        var pending = ""
        reading: for await chunk in chunks {
            pending += String(decoding: chunk, as: UTF8.self)
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending.removeSubrange(...newline)
                if line == "helper processed" { processed += 1 }
                if line == "helper drained" { finished = true }
                if processed >= killAfter || finished { break reading }
            }
        }
        if !finished { kill(process.processIdentifier, SIGKILL) }
        // The pipe's end or the kill: either way the child is gone, or about to be.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // Resumed once: by the handler, or here when the child ended before it was set.
            let resumed = Locked(false)
            let resume: @Sendable () -> Void = {
                if resumed.withLock({ done in
                    defer { done = true }
                    return !done
                }) {
                    continuation.resume()
                }
            }
            process.terminationHandler = { _ in resume() }
            if !process.isRunning { resume() }
        }
        return finished
    }

    @Test(
        "the drainer the killed-process test launches",
        .enabled(if: ProcessInfo.processInfo.environment[KilledProcessTests.helperVariable] != nil)
    )
    func drainHelper() async throws {
        let settings = try #require(ProcessInfo.processInfo.environment[Self.helperVariable])
            .split(separator: "\n").map(String.init)
        try #require(settings.count == 3)
        var configuration = SyncConfiguration()
        configuration.mutationsInFlight = 4
        let synced = try await SyncedStore(
            models: BlogModels.AppModels.self,
            storage: .file(at: URL(fileURLWithPath: settings[0])),
            endpoint: try #require(URL(string: settings[1])),
            authorization: .apiKey(settings[2]),
            configuration: configuration
        )
        var events = synced.events.makeAsyncIterator()
        await synced.start()
        while let event = await events.next() {
            if case .outboxMutationProcessed = event {
                FileHandle.standardOutput.write(Data("helper processed\n".utf8))
            }
            if event == .outboxStatus(isEmpty: true) { break }
        }
        FileHandle.standardOutput.write(Data("helper drained\n".utf8))
        await synced.close()
    }
}
