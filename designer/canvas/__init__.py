"""The roster canvas: scene mirroring the document, node and edge items, the view."""
