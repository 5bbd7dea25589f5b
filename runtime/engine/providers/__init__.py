"""Model providers behind the engine's `Provider` protocol."""
