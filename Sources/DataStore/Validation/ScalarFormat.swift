/// Format checks for the AppSync string scalars, applied when a model is saved.
enum ScalarFormat {
    /// `AWSEmail`: `local-part@domain` (RFC 5322 dot-atoms; internationalized characters allowed).
    static func emailProblem(_ text: String) -> String? {
        guard let at = text.utf8.lastIndex(of: UInt8(ascii: "@")) else { return "an email address needs an '@'" }
        let local = text.utf8[..<at]
        let domain = text.utf8[text.utf8.index(after: at)...]
        guard !local.isEmpty, local.count <= 64 else { return "the part before '@' must have 1 to 64 bytes" }
        guard !domain.isEmpty, domain.count <= 255 else { return "the domain must have 1 to 255 bytes" }
        let atext = Set("!#$%&'*+/=?^_`{|}~-".utf8)
        var previousDot = true
        for byte in local {
            if byte == UInt8(ascii: ".") {
                if previousDot { return "the part before '@' has a misplaced '.'" }
                previousDot = true
                continue
            }
            previousDot = false
            guard isAlphanumeric(byte) || atext.contains(byte) || byte >= 0x80 else {
                return "the part before '@' contains a character not allowed in an email address"
            }
        }
        if previousDot { return "the part before '@' ends with '.'" }
        return hostnameProblem(String(decoding: domain, as: UTF8.self))
    }

    private static func hostnameProblem(_ host: String) -> String? {
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63 else { return "the domain has an empty or overlong label" }
            guard label.utf8.first != UInt8(ascii: "-"), label.utf8.last != UInt8(ascii: "-") else {
                return "a domain label cannot start or end with '-'"
            }
            for byte in label.utf8 where !(isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte >= 0x80) {
                return "the domain contains a character not allowed in host names"
            }
        }
        return nil
    }

    /// `AWSURL`: `scheme:rest` (RFC 3986 scheme), no white space or control characters, and — as
    /// AppSync requires — no `//` inside the path.
    static func urlProblem(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
            return "a URL needs a scheme such as https: or mailto:"
        }
        guard isLetter(bytes[0]),
            bytes[1..<colon].allSatisfy({
                isAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            })
        else { return "the scheme contains a character that is not allowed" }
        let rest = bytes[(colon + 1)...]
        guard !rest.isEmpty else { return "nothing follows the scheme" }
        guard rest.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            return "URLs cannot contain spaces or control characters"
        }
        var path = rest[...]
        if rest.starts(with: [UInt8(ascii: "/"), UInt8(ascii: "/")]) {
            let afterSlashes = rest.dropFirst(2)
            let authorityEnd =
                afterSlashes.firstIndex {
                    $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#")
                }
                ?? afterSlashes.endIndex
            guard authorityEnd > afterSlashes.startIndex else { return "the URL has an empty host" }
            path = afterSlashes[authorityEnd...]
        }
        let pathEnd = path.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? path.endIndex
        var previousSlash = false
        for byte in path[..<pathEnd] {
            let isSlash = byte == UInt8(ascii: "/")
            if isSlash && previousSlash { return "the path contains '//'" }
            previousSlash = isSlash
        }
        return nil
    }

    /// `AWSPhone`: digits with optional single spaces or hyphens between groups, an optional leading
    /// `+` country code; 5 to 15 digits (E.164 allows at most 15).
    static func phoneProblem(_ text: String) -> String? {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        guard let first = bytes.first, isDigit(first), let last = bytes.last, isDigit(last) else {
            return "a phone number starts (after an optional '+') and ends with a digit"
        }
        var digits = 0
        var previousSeparator = false
        for byte in bytes {
            if isDigit(byte) {
                digits += 1
                previousSeparator = false
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") {
                if previousSeparator { return "digit groups are separated by a single space or hyphen" }
                previousSeparator = true
            } else {
                return "a phone number contains only digits, spaces and hyphens"
            }
        }
        guard (5...15).contains(digits) else { return "a phone number has 5 to 15 digits" }
        return nil
    }

    /// `AWSIPAddress`: IPv4 or IPv6, optionally with a CIDR prefix length.
    static func ipAddressProblem(_ text: String) -> String? {
        var address = Substring(text)
        var prefix: Int?
        if let slash = text.firstIndex(of: "/") {
            address = text[..<slash]
            guard let length = Int(text[text.index(after: slash)...]), length >= 0 else {
                return "the prefix length after '/' must be a number"
            }
            prefix = length
        }
        if isIPv4(address) {
            if let prefix, prefix > 32 { return "an IPv4 prefix length is at most 32" }
            return nil
        }
        if isIPv6(address) {
            if let prefix, prefix > 128 { return "an IPv6 prefix length is at most 128" }
            return nil
        }
        return "not an IPv4 or IPv6 address"
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy(isDigit), let value = Int(part) else {
                return false
            }
            return value <= 255 && (part.count == 1 || part.first != "0")
        }
    }

    private static func isIPv6(_ text: Substring) -> Bool {
        guard !text.isEmpty else { return false }
        var groups = 0
        var sawCompression = false
        var pieces: [Substring] = []
        var rest = text
        while let range = rest.firstRange(of: "::") {
            pieces.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        pieces.append(rest)
        guard pieces.count <= 2 else { return false }
        sawCompression = pieces.count == 2
        for (pieceIndex, piece) in pieces.enumerated() where !piece.isEmpty {
            let parts = piece.split(separator: ":", omittingEmptySubsequences: false)
            for (partIndex, part) in parts.enumerated() {
                let isLastOverall = pieceIndex == pieces.count - 1 && partIndex == parts.count - 1
                if isLastOverall, part.contains("."), isIPv4(part) {
                    groups += 2
                    continue
                }
                guard (1...4).contains(part.count), part.utf8.allSatisfy(isHexDigit) else { return false }
                groups += 1
            }
        }
        return sawCompression ? groups < 8 : groups == 8
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
    private static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isLetter(byte) }
    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || ((byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x66)
    }
}
