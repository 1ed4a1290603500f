"""The hierarchical graph encoder (atoms -> molecules -> configuration), decoders and losses."""
