"""The roster document: schema, ids, undoable edits, YAML io, graph analysis and checks."""
