"""Storage: the vault on disk and its lock, the one append path, the writer's
cached head, key files, evidence and footage files, site.toml, bounded workers."""
