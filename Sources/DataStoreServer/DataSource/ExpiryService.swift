import DataStore
import Logging
import ServiceLifecycle

/// Deletes expired tombstones and delta-log records every `interval` (PROTOCOL §3.4), until the
/// server shuts down.
struct ExpiryService: Service {
    let dataSource: DataSource
    let interval: Duration
    let clock: any WallClock
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown {
            while (try? await clock.sleep(for: interval)) != nil {
                do {
                    try await dataSource.purgeExpired()
                } catch {
                    // Nothing is lost: the records stay until the next round.
                    logger.error("Purging expired tombstones and delta records failed: \(error)")
                }
            }
        }
    }
}
