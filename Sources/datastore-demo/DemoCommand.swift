import ArgumentParser
import Foundation

/// The demo: by default the sync story (a server and two devices in this process); `--local`
/// walks through a local store alone; `--records N` syncs a large data set.
@main
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datastore-demo",
        abstract: "See swift-datastore sync: a server and two devices, online, offline and back, in one process.",
        discussion: """
            With no options, starts datastore-server in this process on a free port (SQLite, in a \
            temporary directory), opens two synced stores ("laptop" and "phone"), and tells what \
            happens: live changes, an offline phone, conflicts, predicates, cascade deletes. It ends \
            by checking that both stores equal the server, and exits non-zero if not. Nothing to set up.
            """
    )

    @Flag(name: .long, help: "Walk through a local store alone (no server): save, query, observe, delete.")
    var local = false

    @Option(
        name: .long,
        help: "Sync N posts from the server into a fresh store, with a progress bar and its throughput."
    )
    var records: Int?

    @Option(name: .long, help: "With --local: the path of the SQLite store file (default: a new temporary file).")
    var store: String?

    @Flag(name: .long, help: "With --local: keep the store file afterwards.")
    var keep = false

    @Flag(name: .long, help: "Plain output, even on a terminal.")
    var plain = false

    func validate() throws {
        if let records, records < 1 { throw ValidationError("--records needs a positive number.") }
        if local, records != nil { throw ValidationError("--local and --records tell different stories: choose one.") }
        if !local, store != nil || keep { throw ValidationError("--store and --keep go with --local.") }
    }

    func run() async throws {
        let out = Narrator(colored: plain ? false : nil)
        if local {
            try await LocalWalkthrough(store: store, keep: keep).run()
            return
        }
        if let records {
            try await LargeSync(out: out, records: records).run()
            return
        }
        out.say("swift-datastore demo: a server and two devices, in this process")
        let converged = try await SyncStory(out: out).run()
        print()
        if converged {
            out.say("Both devices hold exactly what the server holds. (Run with --local for the local store alone.)")
        } else {
            out.say("The devices did not converge: this is a bug; please report it with the output above.")
            throw ExitCode(1)
        }
    }
}
