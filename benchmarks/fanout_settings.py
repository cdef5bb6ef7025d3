"""Settings for benchmarks/fanout.py: the product's settings, optionally with another Redis layer backend.

With FANOUT_CHANNEL_LAYER unset (or the product's own backend) the server runs exactly the
product's channel-layer configuration, so the benchmark measures what production runs.
"""

import os

from smi_ui.settings import *  # noqa: F403

PRODUCT_BACKEND = "channels_redis.core.RedisChannelLayer"
_backend = os.environ.get("FANOUT_CHANNEL_LAYER", PRODUCT_BACKEND)
if _backend != CHANNEL_LAYERS["default"]["BACKEND"]:  # noqa: F405 - a comparison run with another backend
    CHANNEL_LAYERS = {"default": {"BACKEND": _backend, "CONFIG": {"hosts": [REDIS_URL]}}}  # noqa: F405
