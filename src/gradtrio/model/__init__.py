"""The network model, written once (see the README's layout section)."""
