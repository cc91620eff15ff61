/// Values of the AppSync date and time scalars.
///
/// | GraphQL | Swift | stored as |
/// |---|---|---|
/// | `AWSDate` | ``Temporal/Date`` | `2026-11-24` (plus the offset, if one was given) |
/// | `AWSTime` | ``Temporal/Time`` | `13:45:00.000` (plus the offset, if one was given) |
/// | `AWSDateTime` | ``Temporal/DateTime`` | `2026-11-24T13:45:00.000Z`, always UTC |
///
/// The stored forms have fixed widths, so ordering them as text orders them in time and predicates
/// such as `\.publishedAt > cutoff` run in SQL and use indexes.
public enum Temporal {}

/// Text that is not a valid `AWSDate`, `AWSTime` or `AWSDateTime`.
public struct TemporalParseError: Error, Sendable, CustomStringConvertible {
    /// The text that was given.
    public let text: String
    /// The scalar it was parsed as.
    public let scalar: String
    /// What is wrong with it.
    public let reason: String

    /// The value as text, for messages and logs.
    public var description: String { "\"\(text)\" is not a valid \(scalar): \(reason)" }
}

/// Low-level ISO-8601 scanning and calendar arithmetic shared by the temporal types.
enum ISO8601 {
    /// A fixed-size cursor over the UTF-8 of a string.
    struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ text: String) { bytes = Array(text.utf8) }

        var isAtEnd: Bool { index == bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for offset in 0..<count {
                let byte = bytes[index + offset]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += count
            return value
        }

        mutating func expect(_ expected: Unicode.Scalar) -> Bool {
            guard let byte = peek, UInt32(byte) == expected.value else { return false }
            index += 1
            return true
        }

        /// `.123456789` → milliseconds (truncated). Returns 0 when there is no fraction.
        mutating func fractionMilliseconds() -> Int? {
            guard expect(".") else { return 0 }
            var digitsRead = 0
            var millis = 0
            while let byte = peek, byte >= 0x30, byte <= 0x39 {
                if digitsRead < 3 { millis = millis * 10 + Int(byte - 0x30) }
                digitsRead += 1
                index += 1
            }
            guard digitsRead > 0, digitsRead <= 9 else { return nil }
            if digitsRead < 3 {
                for _ in digitsRead..<3 { millis *= 10 }
            }
            return millis
        }

        /// `Z`, `±hh:mm`, `±hh:mm:ss` or `±hhmm` → seconds east of UTC; nil for malformed text.
        /// Returns `.some(nil)` when there is no offset at all.
        mutating func offset() -> Int?? {
            guard let byte = peek else { return .some(nil) }
            if byte == UInt8(ascii: "Z") || byte == UInt8(ascii: "z") {
                index += 1
                return .some(0)
            }
            guard byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") else { return nil }
            let sign = byte == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = digits(2), hours <= 23 else { return nil }
            var minutes = 0
            var seconds = 0
            if expect(":") {
                guard let m = digits(2), m <= 59 else { return nil }
                minutes = m
                if expect(":") {
                    guard let s = digits(2), s <= 59 else { return nil }
                    seconds = s
                }
            } else if let m = digits(2) {
                guard m <= 59 else { return nil }
                minutes = m
            }
            return .some(sign * (hours * 3600 + minutes * 60 + seconds))
        }
    }

    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func append(_ value: Int, width: Int, to output: inout String) {
        var digits = String(value)
        if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
        output += digits
    }

    static func appendOffset(_ seconds: Int, to output: inout String) {
        if seconds == 0 {
            output += "Z"
            return
        }
        output += seconds < 0 ? "-" : "+"
        let magnitude = abs(seconds)
        append(magnitude / 3600, width: 2, to: &output)
        output += ":"
        append(magnitude % 3600 / 60, width: 2, to: &output)
        if magnitude % 60 != 0 {
            output += ":"
            append(magnitude % 60, width: 2, to: &output)
        }
    }
}
