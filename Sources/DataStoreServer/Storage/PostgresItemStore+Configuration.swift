public import DataStoreAppSync
import Foundation
import PostgresNIO

extension PostgresItemStore {
    /// Where the database is and how to reach it.
    public struct Configuration: Sendable {
        /// The host name or address of the PostgreSQL server.
        public var host: String
        /// Its port.
        public var port: Int
        /// The role to connect as.
        public var username: String
        /// The role's password, if the server asks for one.
        public var password: String?
        /// The database; PostgreSQL's default (the role's name) when nil.
        public var database: String?
        /// The schema holding the server's tables, created when missing. Servers of different
        /// apps can share a database with a schema each.
        public var schema: String
        /// Whether to encrypt the connection: PostgreSQL's `sslmode` values `disable`, `prefer`
        /// (encrypt when the server offers it), `require` (fail otherwise) and `verify-full` (also
        /// check the server's certificate and name).
        public var sslMode: String
        /// The most connections the server opens (one of them follows other servers' commits).
        public var maximumConnections: Int

        /// A configuration; the defaults reach `postgres` on this machine's default port, in schema `datastore`.
        public init(
            host: String = "localhost",
            port: Int = 5432,
            username: String = "postgres",
            password: String? = nil,
            database: String? = nil,
            schema: String = "datastore",
            sslMode: String = "prefer",
            maximumConnections: Int = 20
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.schema = schema
            self.sslMode = sslMode
            self.maximumConnections = maximumConnections
        }

        /// Reads a connection URL: `postgres://user:password@host:port/database?schema=name&sslmode=require`
        /// (`postgresql://` too; user names and passwords percent-encoded).
        ///
        /// - Throws: `AppSyncError` (`BadRequestException`) naming what is wrong with the URL.
        public init(url: String) throws(AppSyncError) {
            guard let components = URLComponents(string: url),
                let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
            else {
                throw .badRequest(
                    "\(Self.redacted(url)) is not a PostgreSQL URL; write postgres://user:password@host:port/database."
                )
            }
            self.init()
            if let host = components.host, !host.isEmpty { self.host = host }
            if let port = components.port { self.port = port }
            if let user = components.user, !user.isEmpty { username = user.removingPercentEncoding ?? user }
            password = components.password.map { $0.removingPercentEncoding ?? $0 }
            let path = components.path.drop { $0 == "/" }
            if !path.isEmpty { database = String(path).removingPercentEncoding ?? String(path) }
            for item in components.queryItems ?? [] {
                let value = item.value ?? ""
                switch item.name {
                case "schema": schema = value
                case "sslmode": sslMode = value
                case "max_connections":
                    guard let count = Int(value), count >= 2 else {
                        throw .badRequest("max_connections in the PostgreSQL URL must be a number of at least 2.")
                    }
                    maximumConnections = count
                default:
                    throw .badRequest(
                        "The PostgreSQL URL has an unknown parameter \(item.name); the known ones are schema, sslmode "
                            + "and max_connections."
                    )
                }
            }
            try validate()
        }

        /// `url` with its password replaced, for messages.
        static func redacted(_ url: String) -> String {
            guard var components = URLComponents(string: url), components.password != nil else { return url }
            components.password = "…"
            return components.string ?? "the URL"
        }

        func validate() throws(AppSyncError) {
            guard Self.isIdentifier(schema) else {
                throw .badRequest(
                    "The PostgreSQL schema name \(schema) is not valid; use letters, digits and underscores, "
                        + "starting with a letter or underscore, at most 63 characters."
                )
            }
            guard ["disable", "prefer", "require", "verify-full"].contains(sslMode) else {
                throw .badRequest("sslmode must be disable, prefer, require or verify-full; it was \(sslMode).")
            }
            guard (1...65_535).contains(port) else {
                throw .badRequest("The PostgreSQL port must be between 1 and 65535; it was \(port).")
            }
            guard maximumConnections >= 2 else {
                throw .badRequest(
                    "The PostgreSQL store needs at least 2 connections; it was given \(maximumConnections)."
                )
            }
        }

        static func isIdentifier(_ name: String) -> Bool {
            guard let first = name.unicodeScalars.first, name.utf8.count <= 63 else { return false }
            let letters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
            let rest = letters.union(CharacterSet(charactersIn: "0123456789"))
            return letters.contains(first) && name.unicodeScalars.allSatisfy { rest.contains($0) }
        }

        var client: PostgresClient.Configuration {
            var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
            if sslMode != "verify-full" { tlsConfiguration.certificateVerification = .none }
            let tls: PostgresClient.Configuration.TLS =
                switch sslMode {
                case "disable": .disable
                case "prefer": .prefer(tlsConfiguration)
                default: .require(tlsConfiguration)
                }
            var configuration = PostgresClient.Configuration(
                host: host,
                port: port,
                username: username,
                password: password,
                database: database,
                tls: tls
            )
            configuration.options.maximumConnections = maximumConnections
            return configuration
        }
    }
}
