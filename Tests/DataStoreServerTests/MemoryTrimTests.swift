import DataStore
import DataStoreTesting
import Testing

@testable import DataStoreServer

@Suite("Memory trim")
struct MemoryTrimTests {
    @Test("free memory is given back every interval, on the server's clock, until the service stops")
    func trimsEveryInterval() async {
        let clock = ManualClock()
        let trims = Locked(0)
        let service = MemoryTrimService(interval: .seconds(10), clock: clock) { trims.withLock { $0 += 1 } }
        let running = Task { await service.run() }
        for _ in 0..<3 {
            await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(10)))
            clock.advance(by: .seconds(10))
        }
        // Asleep again: the third trim is done.
        await clock.sleeper(dueAt: clock.now.advanced(by: .seconds(10)))
        #expect(trims.withLock { $0 } == 3)
        running.cancel()
        await running.value
        #expect(clock.sleeperCount == 0)
    }

    @Test("on Linux (glibc) the real allocator is trimmed, and trimming is safe at any time")
    func trimsTheAllocator() {
        #if os(Linux)
        #expect(MemoryTrimService.canTrimFreeMemory)
        #endif
        MemoryTrimService.trimFreeMemory()
    }
}
