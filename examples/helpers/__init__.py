"""What several examples share, kept out of examples/ so that every script there is an example."""
