import DataStore
