// Models generated at build time by DataStoreModelGenPlugin from schema.graphql: GraphQL names
// that are Swift keywords or names the generated code uses itself. That this target compiles is
// the codegen test; the round-trip tests in DataStoreCorpusTests store them, and the server's
// tests serve the same schema.
