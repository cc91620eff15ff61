// libFuzzer target over what the server reads from a request before GraphQL sees it: the JSON
// body (into an OperationRequest) and the pre-check of its query (DocumentScan). Scripts/fuzz
// builds it with the sources it covers and runs it; it is not part of the package's targets.
import DataStore
import DataStoreAppSync

/// libFuzzer's entry point: one input, read as a query and as a request body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)

    // The input as a query: the scan measures it, whatever it is, in one pass.
    let scan = DocumentScan(text)
    precondition(scan.length == text.utf8.count, "the scan's length is the text's")
    precondition(scan.selectionDepth <= scan.nesting || scan.nesting == 0 || scan.cyclicFragment != nil)
    _ = scan.exceeded(DocumentLimits())

    // The input as a request body: JSON that parses writes itself back as the same value, and
    // reads as a request or as a typed refusal.
    guard let value = try? FieldValue(jsonText: text) else { return 0 }
    let written = value.jsonText
    guard let reread = try? FieldValue(jsonText: written) else {
        preconditionFailure("the JSON text of a parsed value does not parse: \(written)")
    }
    precondition(reread == value, "a parsed value changes when written and read again")
    if let request = try? OperationRequest(value) {
        precondition(DocumentScan(request.query).length == request.query.utf8.count)
    }
    return 0
}
