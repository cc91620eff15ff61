import DataStore
import DataStoreSchema
import Foundation
import Testing

@Suite("The schema corpus")
struct CorpusTests {
    @Test("every corpus schema parses", arguments: Corpus.files)
    func parses(file: String) throws {
        let source = try Corpus.source(file)
        do {
            let document = try SchemaParser.parse(source)
            #expect(!document.models.isEmpty)
        } catch {
            Issue.record("\(file):\n\(error)")
        }
    }
}
