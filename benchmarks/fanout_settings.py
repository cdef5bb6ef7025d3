"""Settings for benchmarks/fanout.py: the product's settings with the Redis layer backend under test."""

import os

from smi_ui.settings import *  # noqa: F403

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": os.environ.get("FANOUT_CHANNEL_LAYER", "channels_redis.core.RedisChannelLayer"),
        "CONFIG": {"hosts": [REDIS_URL]},  # noqa: F405
    }
}
