"""smi-ui: a web dashboard for Service Mesh Interface policy on Kubernetes."""
