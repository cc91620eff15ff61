import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How the demo speaks: colored on a terminal (unless `NO_COLOR` is set), plain otherwise.
struct Narrator: Sendable {
    let colored: Bool

    init(colored: Bool? = nil) {
        self.colored =
            colored ?? (isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
    }

    private func paint(_ text: String, _ code: String) -> String {
        colored ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// A numbered part of the story.
    func section(_ title: String) {
        print()
        print(paint(title, "1"))
        print(paint(String(repeating: "─", count: title.count), "2"))
    }

    /// What the narrator says.
    func say(_ text: String) {
        print(text)
    }

    /// What a device did or saw.
    func device(_ name: String, _ text: String) {
        let color = name == "laptop" ? "36" : name == "phone" ? "35" : "33"
        print("  \(paint(name.padding(toLength: 6, withPad: " ", startingAt: 0), color)) \(text)")
    }

    /// A check that held.
    func passed(_ text: String) {
        print(paint("  ✓ ", "32") + text)
    }

    /// A check that failed.
    func failed(_ text: String) {
        print(paint("  ✗ ", "31") + text)
    }

    /// A detail.
    func note(_ text: String) {
        print(paint("    \(text)", "2"))
    }

    /// Redraws a progress bar on the current line (a terminal), or prints each tenth (plain).
    func progress(_ done: Int, of total: Int, lastShown: inout Int) {
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        if colored {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            print("\r  \(paint(bar, "32")) \(done)/\(total)", terminator: done >= total ? "\n" : "")
            // nil: every output stream (naming stdout is not concurrency-safe in Swift 6).
            fflush(nil)
        } else {
            let tenth = Int(fraction * 10)
            if tenth > lastShown || done >= total && lastShown < 10 {
                lastShown = tenth
                print("  \(done)/\(total)")
            }
        }
    }
}
