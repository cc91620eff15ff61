extension Temporal {
    /// An `AWSTime`: a time of day with millisecond precision and an optional UTC offset
    /// (`13:45`, `13:45:30.250`, `13:45:30Z`, `13:45:30+02:00`).
    public struct Time: Hashable, Comparable, Sendable, CustomStringConvertible {
        /// 0–23.
        public let hour: Int
        /// 0–59.
        public let minute: Int
        /// 0–59.
        public let second: Int
        /// 0–999.
        public let millisecond: Int
        /// The offset from UTC in seconds that was given with the time, if any.
        public let utcOffsetSeconds: Int?

        /// Creates a time, or nil when a component is out of range.
        public init?(hour: Int, minute: Int, second: Int = 0, millisecond: Int = 0, utcOffsetSeconds: Int? = nil) {
            guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
                (0...999).contains(millisecond)
            else { return nil }
            if let offset = utcOffsetSeconds, abs(offset) >= 86_400 { return nil }
            self.hour = hour
            self.minute = minute
            self.second = second
            self.millisecond = millisecond
            self.utcOffsetSeconds = utcOffsetSeconds
        }

        /// Parses `hh:mm`, `hh:mm:ss` or `hh:mm:ss.fraction`, with an optional offset.
        public init(iso8601String text: String) throws(TemporalParseError) {
            func fail(_ reason: String) -> TemporalParseError {
                TemporalParseError(text: text, scalar: "AWSTime", reason: reason)
            }
            var scanner = ISO8601.Scanner(text)
            guard let hour = scanner.digits(2), scanner.expect(":"), let minute = scanner.digits(2) else {
                throw fail("expected hh:mm")
            }
            var second = 0
            var millis = 0
            if scanner.expect(":") {
                guard let s = scanner.digits(2) else { throw fail("expected seconds after hh:mm:") }
                second = s
                guard let fraction = scanner.fractionMilliseconds() else {
                    throw fail("malformed fraction of a second")
                }
                millis = fraction
            }
            guard let offset = scanner.offset() else { throw fail("malformed time zone offset") }
            guard scanner.isAtEnd else { throw fail("unexpected text after the time") }
            guard
                let value = Time(
                    hour: hour,
                    minute: minute,
                    second: second,
                    millisecond: millis,
                    utcOffsetSeconds: offset
                )
            else { throw fail("time out of range") }
            self = value
        }

        /// The stored form: `hh:mm:ss.sss` plus the offset if one was given.
        public var iso8601String: String {
            var output = ""
            ISO8601.append(hour, width: 2, to: &output)
            output += ":"
            ISO8601.append(minute, width: 2, to: &output)
            output += ":"
            ISO8601.append(second, width: 2, to: &output)
            output += "."
            ISO8601.append(millisecond, width: 3, to: &output)
            if let utcOffsetSeconds { ISO8601.appendOffset(utcOffsetSeconds, to: &output) }
            return output
        }

        /// The value as text, for messages and logs.
        public var description: String { iso8601String }

        /// Orders by the stored text, as the stores do.
        public static func < (lhs: Time, rhs: Time) -> Bool {
            FieldValue.compareUTF8(lhs.iso8601String, rhs.iso8601String) == .less
        }
    }
}
