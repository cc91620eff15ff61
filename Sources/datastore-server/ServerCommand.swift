import ArgumentParser
import DataStoreAppSync
import DataStoreSchema
import DataStoreServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `datastore-server`: an AppSync-compatible backend for a GraphQL schema.
@main
struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datastore-server",
        abstract: "Serve the AppSync API of a GraphQL schema, with sync, versions and conflict resolution.",
        discussion: """
            Stores items in an embedded SQLite file (datastore.sqlite in the working directory unless \
            --database names another), or in PostgreSQL when --database is a postgres:// URL (servers \
            sharing one database serve each other's writes to their subscribers). Prints the endpoint and the API key on start; SIGTERM or SIGINT \
            stop it after in-flight requests finish.
            """
    )

    @Option(name: .long, help: "The GraphQL schema file (the one the app's models are generated from).")
    var schema: String

    @Option(
        name: .long,
        help: """
            The SQLite database file, or a PostgreSQL URL: \
            postgres://user:password@host:port/database?schema=datastore&sslmode=prefer.
            """
    )
    var database = "datastore.sqlite"

    @Option(name: .long, help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "The port to listen on (0 picks a free one).")
    var port = 4000

    @Option(
        name: .customLong("api-key"),
        help: ArgumentHelp(
            "An API key clients may send in x-api-key, as KEY or KEY@EXPIRY (repeatable).",
            discussion: """
                EXPIRY is a date (2027-01-31) or an ISO 8601 time (2027-01-31T12:00:00Z). Rotate by \
                adding the new key next to the old one. Default, when neither --api-key nor \
                --token-issuer is given: a new random key.
                """
        )
    )
    var apiKeys: [String] = []

    @Option(
        name: .customLong("token-issuer"),
        help: ArgumentHelp(
            "A trusted issuer of JWTs sent in Authorization, as comma-separated settings (repeatable).",
            discussion: """
                iss=URL (the tokens' iss), jwks=PATH (its key set: RS256, ES256) or secret-file=PATH \
                (HS256), aud=AUDIENCE (repeatable; checked against aud or client_id), \
                provider=userPools|oidc, skew=SECONDS. Example: --token-issuer \
                iss=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc,jwks=jwks.json,aud=client-id
                """
        )
    )
    var tokenIssuers: [String] = []

    @Option(
        name: .customLong("identity-claim"),
        help: "The token claim owner rules use when a rule names none: sub::username, sub, username, cognito:username."
    )
    var identityClaim = "sub::username"

    @Option(name: .customLong("group-claim"), help: "The token claim that lists a caller's groups.")
    var groupClaim = "cognito:groups"

    @Option(name: .customLong("max-body-size"), help: "The largest request body accepted, in bytes.")
    var maximumBodySize = 1 << 20

    @Option(
        name: .customLong("limit"),
        help: ArgumentHelp(
            "Raise or lower a bound on request documents, as NAME=VALUE (repeatable).",
            discussion: "Names and defaults: "
                + DocumentLimits.names.map { "\($0)=\(DocumentLimits()[named: $0]!)" }.joined(separator: ", ") + "."
        )
    )
    var limits: [String] = []

    @Option(
        name: .customLong("shutdown-timeout"),
        help: """
            Seconds that requests in flight get to finish after SIGTERM or SIGINT; then they are \
            cancelled, and the process exits at most 5 seconds later whatever they were doing.
            """
    )
    var shutdownTimeout = 10

    @Flag(
        name: .customLong("optimistic-concurrency"),
        help: "Reject every stale write with ConflictUnhandled instead of merging it (AUTOMERGE is the default)."
    )
    var optimisticConcurrency = false

    @Option(
        name: .customLong("conflict-webhook"),
        help: "Resolve version conflicts by POSTing them to this URL (RESOLVE, REJECT or REMOVE)."
    )
    var conflictWebhook: String?

    /// The document limits, defaults changed by `--limit`.
    func documentLimits() throws -> DocumentLimits {
        var result = DocumentLimits()
        for setting in limits {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, result[named: parts[0]] != nil else {
                throw ValidationError(
                    "--limit takes NAME=VALUE with NAME one of \(DocumentLimits.names.joined(separator: ", ")); "
                        + "got \(setting)."
                )
            }
            guard let value = Int(parts[1]), value > 0 else {
                throw ValidationError("--limit \(parts[0]) needs a positive integer; got \(parts[1]).")
            }
            result[named: parts[0]] = value
        }
        return result
    }

    func validate() throws {
        _ = try documentLimits()
        do {
            _ = try apiKeys.map { key throws(AuthConfigurationError) in try APIKey(commandLine: key) }
            _ = try tokenIssuers.map { spec throws(AuthConfigurationError) in try TokenIssuer(commandLine: spec) }
        } catch {
            throw ValidationError(error.message)
        }
        if optimisticConcurrency, conflictWebhook != nil {
            throw ValidationError("Choose one conflict strategy: --optimistic-concurrency or --conflict-webhook.")
        }
        if let url = conflictWebhook, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--conflict-webhook needs an http:// or https:// URL; got \(url).")
        }
    }

    func run() async throws {
        let document: SchemaDocument
        do {
            document = try SchemaParser.parse(contentsOfFile: schema)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(1)
        }
        let store: any ItemStore
        // The PostgreSQL store's connections run in the service group, before the application
        // (so they stop after it); the application sets the store up before it serves.
        var services: [any Service] = []
        do {
            if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
                let postgres = try PostgresItemStore(url: database)
                store = postgres
                services.append(postgres)
            } else {
                store = try SQLiteItemStore(path: database)
            }
        } catch {
            FileHandle.standardError.write(Data((error.message + "\n").utf8))
            throw ExitCode(1)
        }
        var configuration = ServerConfiguration()
        if optimisticConcurrency { configuration.defaultStrategy = .optimisticConcurrency }
        if let conflictWebhook { configuration.defaultStrategy = .custom(ConflictHandlers.webhook(conflictWebhook)) }
        configuration.authSettings.identityClaim = identityClaim
        configuration.authSettings.groupClaim = groupClaim
        let dataSource = DataSource(document: document, store: store, configuration: configuration)
        var options = ServerOptions()
        options.host = host
        options.port = port
        options.maximumBodySize = maximumBodySize
        var keys = try apiKeys.map { key throws(AuthConfigurationError) in try APIKey(commandLine: key) }
        if keys.isEmpty, tokenIssuers.isEmpty {
            keys = [APIKey("da2-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))]
        }
        options.apiKeys = keys
        options.tokenIssuers = try tokenIssuers.map { spec throws(AuthConfigurationError) in
            try TokenIssuer(commandLine: spec)
        }
        let issuers = options.tokenIssuers.map { $0.issuer ?? "(shared secret)" }
        let keyNames = keys.map(\.value)
        let host = self.host
        let application = ServerApplication(
            api: try GraphQLAPI(dataSource: dataSource, limits: try documentLimits()),
            options: options
        ).makeApplication {
            port in
            // Written unbuffered, so that a log file or a pipe sees the endpoint at once.
            let banner = """
                datastore-server is serving \(document.models.count) models
                  GraphQL endpoint:   http://\(host):\(port)/graphql
                  real-time endpoint: ws://\(host):\(port)/graphql/realtime
                  API key:            \(keyNames.isEmpty ? "(none)" : keyNames.joined(separator: ", "))
                  token issuers:      \(issuers.isEmpty ? "(none)" : issuers.joined(separator: ", "))

                """
            FileHandle.standardOutput.write(Data(banner.utf8))
        }
        var group = ServiceGroupConfiguration(
            services: services + [application],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "datastore-server")
        )
        group.maximumGracefulShutdownDuration = .seconds(shutdownTimeout)
        // Cancellation ends every request that awaits; one busy on a CPU would hold the process.
        // From the first signal, the process has the grace period and 5 s more, then exits.
        let deadline = Duration.seconds(shutdownTimeout + 5)
        let watchdog = Task.detached {
            for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                // Cancelled when the server stopped in time: nothing to do.
                guard (try? await Task.sleep(for: deadline)) != nil else { return }
                FileHandle.standardError.write(
                    Data("datastore-server did not stop within \(deadline) of the signal; exiting.\n".utf8)
                )
                Foundation.exit(1)
            }
        }
        do {
            try await ServiceGroup(configuration: group).run()
        } catch let error as AppSyncError {
            // The store could not be set up: say why, as for a store that cannot be opened.
            watchdog.cancel()
            await store.close()
            FileHandle.standardError.write(Data((error.message + "\n").utf8))
            throw ExitCode(1)
        }
        watchdog.cancel()
        await store.close()
    }
}
