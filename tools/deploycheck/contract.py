"""What the deployment must provide, in one place (deploy/README.md says the same)."""

from __future__ import annotations

from pydantic import AliasChoices, AliasPath

from backend.common.settings import Settings

# Kubernetes version the manifests are validated against (kubernetes-validate schemas).
KUBERNETES_VERSION = "1.33.0"

# Secrets the operator creates with kubectl before deploying; no manifest defines them.
OPERATOR_SECRETS: dict[str, tuple[str, ...]] = {
    "jwt-secret": ("JWT_KEY",),
    "stripe-secret": ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY"),
    "smtp-secret": ("SMTP_URL",),
}

# Secret settings only one service needs: that service must have them and no other
# Deployment may be given them (least privilege).
ONLY_FOR: dict[str, str] = {
    "STRIPE_SECRET_KEY": "payments",
    "STRIPE_PUBLISHABLE_KEY": "payments",
    "SMTP_URL": "payments",
}

# Settings whose development default is also right in production: a backend Deployment may
# leave them unset. Every other setting must be set for every backend Deployment.
DEFAULTS_FINE_IN_PRODUCTION: frozenset[str] = frozenset(
    {
        "REDIS_MAX_CONNECTIONS",
        "REDIS_CLUSTER",
        "JWT_TTL_SECONDS",
        "PAYMENT_HOLD_SECONDS",
        "PAYMENT_LEASE_SECONDS",
        "MONEY_WORKERS",
        "MAX_BODY_BYTES",
        "LOG_LEVEL",
        "BUS_MAX_DELIVERIES",
        "BUS_RETRY_AFTER_MS",
        "BUS_BLOCK_MS",
        "OUTBOX_POLL_SECONDS",
        "RECOUNT_EVERY_SECONDS",
        "LIVE_QUEUE_SIZE",
        "LIVE_PING_SECONDS",
        "LIVE_HISTORY",
        "LIVE_MAX_FRAME_BYTES",
        "SIGNIN_MAX_FAILURES",
        "SIGNIN_WINDOW_SECONDS",
        "SIGNIN_ADDRESS_LIMIT",
        "SIGNUP_ADDRESS_LIMIT",
        "TOKEN_ADDRESS_LIMIT",
    }
)

# Where the pieces live, relative to the repository root.
SKAFFOLD_FILE = "skaffold.yaml"
MANIFESTS_DIR = "deploy/k8s"
DOCKERFILES_DIR = "deploy/docker"
OPERATOR_DOCS = "deploy/README.md"


def settings_variables() -> dict[str, tuple[str, ...]]:
    """Each setting's field name → the environment variable names that set it."""
    prefix = str(Settings.model_config.get("env_prefix") or "")
    variables: dict[str, tuple[str, ...]] = {}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, str):
            names: tuple[str, ...] = (alias,)
        elif isinstance(alias, AliasChoices):
            names = tuple(choice for choice in alias.choices if isinstance(choice, str))
        elif isinstance(alias, AliasPath) or alias is None:
            names = (prefix + name,)
        variables[name] = tuple(each.upper() for each in names)
    return variables
