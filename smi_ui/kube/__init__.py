"""Everything that talks to a Kubernetes API server lives here, and only here."""
