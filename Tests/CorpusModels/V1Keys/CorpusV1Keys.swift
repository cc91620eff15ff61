// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, a copy of
// the corpus schema amplify-codegen__modelgen-tests__swift-visitor__v1-key-directive-authorBook.graphql. The round-trip tests in DataStoreCorpusTests use them.
