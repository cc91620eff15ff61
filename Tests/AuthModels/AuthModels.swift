// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, for the auth
// tests in DataStoreSyncTests.
