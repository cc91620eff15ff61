public import Foundation

/// Where a backend's real-time WebSocket is, from its GraphQL endpoint (PROTOCOL §6.1).
public enum RealtimeEndpoint {
    /// AWS AppSync's domain becomes its `appsync-realtime-api` twin on `wss`; any other host
    /// serves `<graphql endpoint>/realtime`, `http` becoming `ws` and `https` `wss`. Nil when
    /// `endpoint` is not an HTTP(S) URL.
    public static func url(for endpoint: URL) -> URL? {
        guard var components = URLComponents(url: endpoint, resolvingAgainstBaseURL: false),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host
        else { return nil }
        components.scheme = scheme == "https" ? "wss" : "ws"
        if host.contains(".appsync-api.") {
            components.host = host.replacingOccurrences(of: ".appsync-api.", with: ".appsync-realtime-api.")
            components.scheme = "wss"
        } else {
            components.path =
                (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path)
                + "/realtime"
        }
        return components.url
    }
}
