// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, a copy of
// the corpus schema amplify-swift__AmplifyTestCommon__Models__schema.graphql (v1 @connection in all its
// forms). The round-trip and relation tests in DataStoreCorpusTests use them.
