public import Foundation

extension Temporal {
    /// An `AWSDate`: a calendar date, with an optional UTC offset as AppSync allows
    /// (`1970-01-01`, `1970-01-01Z`, `1970-01-01-07:00`).
    public struct Date: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// 0000–9999.
        public let year: Int
        /// 1–12.
        public let month: Int
        /// 1–31, valid for the month.
        public let day: Int
        /// The offset from UTC in seconds that was given with the date, if any.
        public let utcOffsetSeconds: Int?

        /// Creates a date, or nil for a date that does not exist or a year outside 0000–9999.
        public init?(year: Int, month: Int, day: Int, utcOffsetSeconds: Int? = nil) {
            guard (0...9999).contains(year), (1...12).contains(month),
                (1...ISO8601.daysInMonth(month, year: year)).contains(day)
            else { return nil }
            if let offset = utcOffsetSeconds, abs(offset) >= 86_400 { return nil }
            self.year = year
            self.month = month
            self.day = day
            self.utcOffsetSeconds = utcOffsetSeconds
        }

        /// The calendar date of `date` in `timeZone` (UTC by default), without an offset.
        public init(_ date: Foundation.Date, timeZone: TimeZone = TimeZone(secondsFromGMT: 0)!) {
            let shifted = DateTime(date.addingTimeInterval(Double(timeZone.secondsFromGMT(for: date))))
            let millis = Int(shifted.millisecondsSince1970)
            let days = millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000
            let civil = ISO8601.civilFromDays(days)
            year = civil.year
            month = civil.month
            day = civil.day
            utcOffsetSeconds = nil
        }

        /// Today's date in `timeZone` (UTC by default).
        public static func today(in timeZone: TimeZone = TimeZone(secondsFromGMT: 0)!) -> Date {
            Date(Foundation.Date(), timeZone: timeZone)
        }

        /// Parses `YYYY-MM-DD` with an optional offset (`Z`, `±hh:mm`, `±hh:mm:ss`).
        public init(iso8601String text: String) throws(TemporalParseError) {
            func fail(_ reason: String) -> TemporalParseError {
                TemporalParseError(text: text, scalar: "AWSDate", reason: reason)
            }
            var scanner = ISO8601.Scanner(text)
            guard let year = scanner.digits(4), scanner.expect("-"), let month = scanner.digits(2),
                scanner.expect("-"), let day = scanner.digits(2)
            else { throw fail("expected YYYY-MM-DD") }
            guard let offset = scanner.offset() else { throw fail("malformed time zone offset") }
            guard scanner.isAtEnd else { throw fail("unexpected text after the date") }
            guard let value = Date(year: year, month: month, day: day, utcOffsetSeconds: offset) else {
                throw fail("no such calendar date")
            }
            self = value
        }

        /// The stored form.
        public var iso8601String: String {
            var output = ""
            ISO8601.append(year, width: 4, to: &output)
            output += "-"
            ISO8601.append(month, width: 2, to: &output)
            output += "-"
            ISO8601.append(day, width: 2, to: &output)
            if let utcOffsetSeconds { ISO8601.appendOffset(utcOffsetSeconds, to: &output) }
            return output
        }

        /// The value as text, for messages and logs.
        public var description: String { iso8601String }

        /// Orders by the stored text, as the stores do.
        public static func < (lhs: Date, rhs: Date) -> Bool {
            FieldValue.compareUTF8(lhs.iso8601String, rhs.iso8601String) == .less
        }
    }
}
