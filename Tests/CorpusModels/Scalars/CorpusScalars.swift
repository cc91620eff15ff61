// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, a copy of
// the corpus schema amplify-category-api__schema-test-library__at-model-with-appsync-scalars.graphql. The round-trip tests in DataStoreCorpusTests use them.
