#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#elseif canImport(Darwin)
package import Darwin
#endif

/// A value that threads share, guarded by a pthread mutex.
///
/// The package uses it instead of Synchronization's `Mutex` for shared state. On Linux, `Mutex`
/// hands a contended lock from one thread to the next inside the kernel (a priority-inheritance
/// futex), out of ThreadSanitizer's sight: the sanitizer then sees no order between the two
/// threads' critical sections and reports accesses made under the lock as data races. It
/// intercepts pthread mutexes, so with this lock the sanitizer reports only real races. Both
/// locks cost the same when uncontended (one atomic instruction each way), and both spin briefly
/// before they sleep when contended.
package final class Locked<Value> {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // Initializing a mutex takes no resources that can run out; it does not fail.
        #if canImport(Glibc)
        // Adaptive: a thread that finds the lock taken spins briefly before it sleeps, as `Mutex`
        // does. Critical sections here are short, and a sleeping waiter costs a kernel wake-up:
        // the fan-out of one event to 1,000 subscribers took a third longer with a plain mutex.
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ADAPTIVE_NP))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
        #else
        pthread_mutex_init(mutex, nil)
        #endif
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock. `body` must not take this lock again.
    /// (Inlinable, so that callers in other modules get a specialized call, as with `Mutex`.)
    @inlinable
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
