import Foundation

/// A serial executor that runs jobs, in order, on one dedicated thread.
///
/// SQLite calls block their thread; running the storage actor here keeps them off Swift's
/// cooperative thread pool. A dedicated thread sleeping on a semaphore wakes faster than a dispatch
/// queue, whose idle worker must be requested anew for each job: in the single-save benchmark on
/// the project's 2-core test machine, 97–105 µs per save against 123–137 µs. (A thread that spun
/// for the next job was slower there: it competed with the callers for the two cores.) The thread
/// ends once the executor is released.
final class StorageExecutor: SerialExecutor, Sendable {
    private let worker: Worker

    init(label: String) {
        worker = Worker()
        let worker = self.worker
        let thread = Thread { worker.run() }
        thread.name = label
        thread.start()
    }

    deinit {
        worker.stop()
    }

    /// Finishes when the thread has ended (for tests that check no thread outlives its store).
    var threadExit: AsyncStream<Void> { worker.exit }

    func enqueue(_ job: consuming ExecutorJob) {
        worker.push(UnownedJob(job), on: asUnownedSerialExecutor())
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        precondition(worker.isCurrentThread, "not on the storage executor's thread")
    }

    /// The job queue and the thread's loop. The thread holds the worker, not the executor, so the
    /// executor can be released (and stop the thread) while the thread still runs.
    ///
    /// Synchronized with a pthread mutex and condition variable rather than `Mutex`: the thread is
    /// not a Swift task, and ThreadSanitizer sees pthread synchronization but not `Mutex`'s, so it
    /// would report false races here.
    ///
    /// `@unchecked Sendable`: every stored `var` (`jobs`, `isWaiting`, `isStopping`, `thread`) is
    /// read and written only between `pthread_mutex_lock(mutex)` and `pthread_mutex_unlock(mutex)`
    /// (in `locked`, or in `run` around `pthread_cond_wait`, which holds the mutex whenever it
    /// returns); the `let`s are immutable after `init`.
    private final class Worker: @unchecked Sendable {
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>
        private let condition: UnsafeMutablePointer<pthread_cond_t>
        private var jobs: [(job: UnownedJob, executor: UnownedSerialExecutor)] = []
        /// The thread waits on `condition` for work.
        private var isWaiting = false
        private var isStopping = false
        private var thread: ObjectIdentifier?
        let exit: AsyncStream<Void>
        private let exited: AsyncStream<Void>.Continuation

        init() {
            mutex = .allocate(capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
            condition = .allocate(capacity: 1)
            condition.initialize(to: pthread_cond_t())
            pthread_cond_init(condition, nil)
            // Carries no elements; it only finishes.
            (exit, exited) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(0))
        }

        deinit {
            pthread_cond_destroy(condition)
            condition.deallocate()
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }

        private func locked<Result>(_ body: () -> Result) -> Result {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return body()
        }

        var isCurrentThread: Bool {
            let current = ObjectIdentifier(Thread.current)
            return locked { thread == current }
        }

        func push(_ job: UnownedJob, on executor: UnownedSerialExecutor) {
            let wake = locked {
                jobs.append((job, executor))
                return isWaiting
            }
            if wake { pthread_cond_signal(condition) }
        }

        func stop() {
            let wake = locked {
                isStopping = true
                return isWaiting
            }
            if wake { pthread_cond_signal(condition) }
        }

        func run() {
            let current = ObjectIdentifier(Thread.current)
            var batch: [(job: UnownedJob, executor: UnownedSerialExecutor)] = []
            pthread_mutex_lock(mutex)
            thread = current
            while true {
                while jobs.isEmpty && !isStopping {
                    isWaiting = true
                    // This executor's own thread, never the cooperative pool.
                    pthread_cond_wait(condition, mutex)
                    isWaiting = false
                }
                if jobs.isEmpty {  // stopping, and nothing left to run
                    pthread_mutex_unlock(mutex)
                    exited.finish()
                    return
                }
                swap(&batch, &jobs)
                pthread_mutex_unlock(mutex)
                for (job, executor) in batch { job.runSynchronously(on: executor) }
                batch.removeAll(keepingCapacity: true)
                pthread_mutex_lock(mutex)
            }
        }
    }
}
