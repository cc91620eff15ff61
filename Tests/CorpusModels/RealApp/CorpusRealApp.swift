// Models generated at build time by DataStoreModelGenPlugin from schema.graphql, a copy of
// the corpus schema realapp__aridawoodi__ScoreBoard__amplify__backend__api__scoreboard__schema.graphql. The round-trip tests in DataStoreCorpusTests use them.
