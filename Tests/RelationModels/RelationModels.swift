// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, for the relation
// tests in DataStoreRelationTests.
