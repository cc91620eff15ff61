import Foundation

/// SplitMix64: a small, fast, seedable generator, so that randomized tests can be replayed.
///
/// ```swift
/// let seed = SeededRandom.seed(named: "merge")
/// print("merge seed \(seed) (replay with DATASTORE_TEST_SEED=\(seed))")
/// var random = SeededRandom(seed: seed)
/// let rating = Int.random(in: 0...5, using: &random)
/// ```
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    /// A generator that produces the same numbers for the same seed.
    public init(seed: UInt64) {
        state = seed
    }

    /// A seed from `DATASTORE_TEST_SEED` when set (to replay a failure), else a fresh one.
    public static func seed(named name: String) -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["DATASTORE_TEST_SEED"], let seed = UInt64(text) {
            return seed
        }
        return UInt64.random(in: 1...UInt64.max)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// One of `options`, chosen uniformly.
    public mutating func pick<T>(_ options: [T]) -> T { options[Int.random(in: 0..<options.count, using: &self)] }
    /// True with probability `probability`.
    public mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }
}
