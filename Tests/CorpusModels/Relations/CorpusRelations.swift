// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, a copy of
// the corpus schema amplify-swift__AmplifyTestCommon__Models__TransformerV2__schema.graphql. The round-trip tests in DataStoreCorpusTests use them.
