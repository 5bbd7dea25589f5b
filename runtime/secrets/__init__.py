"""Credentials: keyring references, their resolution, and the secret scanner."""
