public import Foundation

extension Temporal {
    /// An `AWSDateTime`: an instant, with millisecond precision.
    ///
    /// Stored as UTC text with exactly three fraction digits (`2026-11-24T13:45:00.000Z`), so that
    /// text order is time order. Sub-millisecond precision is dropped when the value is created, so
    /// what you save is exactly what you read back. Years 0000 through 9999 are representable.
    public struct DateTime: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// Milliseconds since 1970-01-01T00:00:00Z.
        public let millisecondsSince1970: Int64

        /// The earliest representable instant, 0000-01-01T00:00:00.000Z.
        static let minimumMilliseconds: Int64 = -62_167_219_200_000
        /// The latest representable instant, 9999-12-31T23:59:59.999Z.
        static let maximumMilliseconds: Int64 = 253_402_300_799_999

        /// Creates a value from milliseconds since 1970, or nil outside years 0000–9999.
        public init?(millisecondsSince1970: Int64) {
            guard millisecondsSince1970 >= Self.minimumMilliseconds,
                millisecondsSince1970 <= Self.maximumMilliseconds
            else { return nil }
            self.millisecondsSince1970 = millisecondsSince1970
        }

        /// Creates a value from a Foundation date, truncated to the millisecond.
        ///
        /// Dates outside years 0000–9999 are clamped to that range.
        public init(_ date: Foundation.Date) {
            let millis = (date.timeIntervalSince1970 * 1000).rounded(.down)
            let clamped = min(max(millis, Double(Self.minimumMilliseconds)), Double(Self.maximumMilliseconds))
            millisecondsSince1970 = Int64(clamped)
        }

        /// The current instant, truncated to the millisecond.
        public static func now() -> DateTime { DateTime(Foundation.Date()) }

        /// Parses an ISO-8601 date-time as AppSync accepts it:
        /// `YYYY-MM-DDThh:mm:ss(.fraction)?(Z|±hh:mm(:ss)?)`. The offset is required.
        public init(iso8601String text: String) throws(TemporalParseError) {
            if let stored = Self(storedForm: text) {
                self = stored
                return
            }
            func fail(_ reason: String) -> TemporalParseError {
                TemporalParseError(text: text, scalar: "AWSDateTime", reason: reason)
            }
            var scanner = ISO8601.Scanner(text)
            guard let year = scanner.digits(4), scanner.expect("-"), let month = scanner.digits(2),
                scanner.expect("-"), let day = scanner.digits(2)
            else { throw fail("expected YYYY-MM-DD") }
            guard (1...12).contains(month), (1...ISO8601.daysInMonth(month, year: year)).contains(day) else {
                throw fail("no such calendar date")
            }
            guard scanner.expect("T") || scanner.expect("t") else { throw fail("expected 'T' after the date") }
            guard let hour = scanner.digits(2), scanner.expect(":"), let minute = scanner.digits(2),
                scanner.expect(":"), let second = scanner.digits(2)
            else { throw fail("expected hh:mm:ss after 'T'") }
            guard hour <= 23, minute <= 59, second <= 59 else { throw fail("time out of range") }
            guard let millis = scanner.fractionMilliseconds() else { throw fail("malformed fraction of a second") }
            guard let offsetResult = scanner.offset() else { throw fail("malformed time zone offset") }
            guard let offset = offsetResult else { throw fail("a time zone offset (Z or ±hh:mm) is required") }
            guard scanner.isAtEnd else { throw fail("unexpected text after the value") }
            let days = ISO8601.daysFromCivil(year: year, month: month, day: day)
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
            guard let value = DateTime(millisecondsSince1970: Int64(seconds) * 1000 + Int64(millis)) else {
                throw fail("outside years 0000–9999 in UTC")
            }
            self = value
        }

        /// The Foundation date of this instant.
        public var foundationDate: Foundation.Date {
            Foundation.Date(timeIntervalSince1970: Double(millisecondsSince1970) / 1000)
        }

        /// The stored form: UTC, three fraction digits.
        public var iso8601String: String {
            let millis = Int(millisecondsSince1970)
            let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
            let fraction = millis - seconds * 1000
            let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
            let secondOfDay = seconds - days * 86_400
            let (year, month, day) = ISO8601.civilFromDays(days)
            // Written straight into the string's storage: this runs for every stored date-time.
            return String(unsafeUninitializedCapacity: 24) { buffer in
                func put(_ value: Int, _ width: Int, at offset: Int) {
                    var value = value
                    for position in stride(from: offset + width - 1, through: offset, by: -1) {
                        buffer[position] = UInt8(truncatingIfNeeded: 0x30 + value % 10)
                        value /= 10
                    }
                }
                put(year, 4, at: 0)
                buffer[4] = UInt8(ascii: "-")
                put(month, 2, at: 5)
                buffer[7] = UInt8(ascii: "-")
                put(day, 2, at: 8)
                buffer[10] = UInt8(ascii: "T")
                put(secondOfDay / 3600, 2, at: 11)
                buffer[13] = UInt8(ascii: ":")
                put(secondOfDay % 3600 / 60, 2, at: 14)
                buffer[16] = UInt8(ascii: ":")
                put(secondOfDay % 60, 2, at: 17)
                buffer[19] = UInt8(ascii: ".")
                put(fraction, 3, at: 20)
                buffer[23] = UInt8(ascii: "Z")
                return 24
            }
        }

        /// Whether `text` is a valid date-time in exactly the stored form
        /// (`YYYY-MM-DDThh:mm:ss.sssZ`). Checked without allocating, on every save.
        static func isStoredForm(_ text: String) -> Bool {
            DateTime(storedForm: text) != nil
        }

        /// Parses exactly the stored form, without allocating: the path every stored value takes
        /// when it is read back.
        init?(storedForm text: String) {
            var text = text
            let millis: Int64? = text.withUTF8 { bytes in
                guard bytes.count == 24, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
                    bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
                    bytes[19] == UInt8(ascii: "."), bytes[23] == UInt8(ascii: "Z")
                else { return nil }
                func number(_ offset: Int, _ width: Int) -> Int? {
                    var value = 0
                    for position in offset..<(offset + width) {
                        let byte = bytes[position]
                        guard byte >= 0x30, byte <= 0x39 else { return nil }
                        value = value * 10 + Int(byte - 0x30)
                    }
                    return value
                }
                guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                    let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                    let fraction = number(20, 3),
                    (1...12).contains(month), (1...ISO8601.daysInMonth(month, year: year)).contains(day),
                    hour <= 23, minute <= 59, second <= 59
                else { return nil }
                let days = ISO8601.daysFromCivil(year: year, month: month, day: day)
                return Int64(days * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + Int64(fraction)
            }
            guard let millis else { return nil }
            millisecondsSince1970 = millis
        }

        /// The value as text, for messages and logs.
        public var description: String { iso8601String }

        /// Whether `lhs` comes before `rhs`.
        public static func < (lhs: DateTime, rhs: DateTime) -> Bool {
            lhs.millisecondsSince1970 < rhs.millisecondsSince1970
        }
    }
}
