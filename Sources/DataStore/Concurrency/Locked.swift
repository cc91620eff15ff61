#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value that threads share, guarded by a pthread mutex.
///
/// The package uses it instead of Synchronization's `Mutex` for shared state. On Linux, `Mutex`
/// hands a contended lock from one thread to the next inside the kernel (a priority-inheritance
/// futex), out of ThreadSanitizer's sight: the sanitizer then sees no order between the two
/// threads' critical sections and reports accesses made under the lock as data races. It
/// intercepts pthread mutexes, so with this lock the sanitizer reports only real races. Both
/// locks cost the same when uncontended (one atomic instruction each way).
package final class Locked<Value> {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // A default mutex needs no resources that can run out; initialization does not fail.
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock. `body` must not take this lock again.
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

// Safety: `value` is read and written only inside `withLock`, between locking and unlocking
// `mutex`, so no two threads ever access it at once, and each critical section sees the writes
// of the one before it (the mutex orders them). `mutex` itself is set once, in `init`, before the
// instance can be shared. A value that is not Sendable could still escape its lock through
// `body`, so the instance is Sendable only when its value is.
extension Locked: @unchecked Sendable where Value: Sendable {}
