"""The core of an entry: canonical bytes, the entry and its shapes, the roster, keys,
the genesis, times, errors and the message catalog. Pure: no files, no click."""
