// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, a copy of
// the corpus schema amplify-codegen__modelgen-tests__swift-visitor__list-nullability.graphql. The round-trip tests in DataStoreCorpusTests use them.
