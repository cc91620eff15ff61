/// The one ordering both predicate evaluators and both sort implementations use.
///
/// It mirrors SQLite's comparison of the column types swift-datastore stores: numbers compare
/// numerically (an `Int` against a `Double` too), strings by UTF-8 bytes (SQLite's BINARY
/// collation), booleans as 0 and 1. `nil` means the two values are of kinds that have no order
/// between them (a string and a number, a list and anything); predicates treat that as false.
extension FieldValue {
    @usableFromInline
    static func compare(_ lhs: FieldValue, _ rhs: FieldValue) -> Ordering? {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)):
            return compareUTF8(a, b)
        case (.int(let a), .int(let b)):
            return a < b ? .less : (a == b ? .equal : .greater)
        case (.double(let a), .double(let b)):
            return a < b ? .less : (a == b ? .equal : .greater)
        case (.int(let a), .double(let b)):
            return compareIntDouble(a, b)
        case (.double(let a), .int(let b)):
            return compareIntDouble(b, a)?.reversed
        case (.bool(let a), .bool(let b)):
            return a == b ? .equal : (a ? .greater : .less)
        case (.bool(let a), .int(let b)):
            return compare(.int(a ? 1 : 0), .int(b))
        case (.int(let a), .bool(let b)):
            return compare(.int(a), .int(b ? 1 : 0))
        default:
            return nil
        }
    }

    /// The order used to sort query results: SQLite's, so that both storage adapters return the
    /// same order. NULL sorts before every other value.
    static func sortOrder(_ lhs: FieldValue, _ rhs: FieldValue) -> Ordering {
        switch (lhs.isNull, rhs.isNull) {
        case (true, true): return .equal
        case (true, false): return .less
        case (false, true): return .greater
        case (false, false):
            if let order = compare(lhs, rhs) { return order }
            // Mixed kinds never occur in a typed column; order them by kind so sorting stays total.
            return lhs.kindRank < rhs.kindRank ? .less : (lhs.kindRank == rhs.kindRank ? .equal : .greater)
        }
    }

    private var kindRank: Int {
        switch self {
        case .null: 0
        case .bool, .int, .double: 1
        case .string: 2
        case .list: 3
        case .object: 4
        }
    }

    /// Byte-wise comparison of the UTF-8 encodings, which is also Unicode scalar order.
    @usableFromInline
    static func compareUTF8(_ a: String, _ b: String) -> Ordering {
        var a = a
        var b = b
        return a.withUTF8 { aBytes in
            b.withUTF8 { bBytes in
                let common = min(aBytes.count, bBytes.count)
                var index = 0
                while index < common {
                    let x = aBytes[index]
                    let y = bBytes[index]
                    if x != y { return x < y ? .less : .greater }
                    index += 1
                }
                return aBytes.count == bBytes.count ? .equal : (aBytes.count < bBytes.count ? .less : .greater)
            }
        }
    }

    /// Compares an integer with a double exactly, as SQLite does (no rounding of large integers).
    private static func compareIntDouble(_ a: Int, _ b: Double) -> Ordering? {
        if b.isNaN { return nil }
        if b >= 9_223_372_036_854_775_808.0 { return .less }
        if b < -9_223_372_036_854_775_808.0 { return .greater }
        let truncated = b.rounded(.towardZero)
        let whole = Int(truncated)
        if a != whole { return a < whole ? .less : .greater }
        let fraction = b - truncated
        return fraction == 0 ? .equal : (fraction > 0 ? .less : .greater)
    }

    @usableFromInline
    enum Ordering: Sendable {
        case less, equal, greater

        var reversed: Ordering {
            switch self {
            case .less: .greater
            case .equal: .equal
            case .greater: .less
            }
        }
    }
}

extension String {
    /// Whether `other`'s UTF-8 bytes occur in this string's UTF-8 bytes (DynamoDB `contains`).
    func utf8Contains(_ other: String) -> Bool {
        var haystack = self
        var needle = other
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                if n.isEmpty { return true }
                if n.count > h.count { return false }
                let first = n[0]
                var start = 0
                let last = h.count - n.count
                while start <= last {
                    if h[start] == first {
                        var offset = 1
                        while offset < n.count && h[start + offset] == n[offset] { offset += 1 }
                        if offset == n.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }
    }

    /// Whether this string's UTF-8 bytes start with `prefix`'s (DynamoDB `begins_with`).
    func utf8HasPrefix(_ prefix: String) -> Bool {
        utf8.starts(with: prefix.utf8)
    }
}
