import BlogModels
import Testing

@testable import DataStore

@Suite("Storage executor", .timeLimit(.minutes(1)))
struct StorageExecutorTests {
    actor Counter {
        let executor: StorageExecutor
        nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
        var value = 0

        init(executor: StorageExecutor) {
            self.executor = executor
        }

        func increment() -> Int {
            executor.checkIsolated()
            value += 1
            return value
        }
    }

    @Test("runs an actor's jobs serially, in order, across many concurrent callers")
    func serialOrder() async {
        let counter = Counter(executor: StorageExecutor(label: "test"))
        let results = await withTaskGroup(of: [Int].self) { group in
            for _ in 0..<50 {
                group.addTask {
                    var seen: [Int] = []
                    for _ in 0..<100 { seen.append(await counter.increment()) }
                    return seen
                }
            }
            var all: [[Int]] = []
            for await seen in group { all.append(seen) }
            return all
        }
        #expect(Set(results.flatMap { $0 }) == Set(1...5_000))
        for seen in results { #expect(seen == seen.sorted()) }
    }

    @Test("its thread ends when the executor is released")
    func threadEnds() async {
        var executor: StorageExecutor? = StorageExecutor(label: "test")
        let exit = executor!.threadExit
        var counter: Counter? = Counter(executor: executor!)
        #expect(await counter?.increment() == 1)
        counter = nil
        executor = nil
        for await _ in exit {}  // finishes only when the thread has returned
    }

    @Test("a released store's storage thread ends")
    func storeThreadEnds() async throws {
        var store: DataStore? = try await DataStore(models: [Everything.self], storage: .inMemory)
        let exit = store!.engine.executorThreadExit
        try await store?.save(Everything())
        await store?.close()
        store = nil
        for await _ in exit {}
    }
}
