"""Settings → API keys and paste detection: keyring access for the designer, off the GUI thread."""
