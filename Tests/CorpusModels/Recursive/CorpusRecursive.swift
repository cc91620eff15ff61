// Models generated at build time by DataStoreModelGenPlugin from schema.graphql: non-model types
// that contain themselves. That this target compiles is the codegen test; the round-trip tests in
// DataStoreCorpusTests store them, and the server's tests serve the same schema.
