"""Offline checks of the deployment: Kubernetes manifests, Dockerfiles and skaffold.yaml.

Run ``uv run python -m tools.deploycheck``; it prints every problem and exits non-zero if
there is one. Nothing here needs Docker or a cluster.
"""
