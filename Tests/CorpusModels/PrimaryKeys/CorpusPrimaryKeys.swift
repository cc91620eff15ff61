// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, a copy of
// the corpus schema amplify-swift__AWSDataStorePluginCPKTests__PrimaryKey__primarykey_schema.graphql. The round-trip tests in DataStoreCorpusTests use them.
