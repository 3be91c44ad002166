"""Platform-free pieces shared by the chat adapters (see ``adapters.common.throttle``)."""

from adapters.common.throttle import RateLimit, RetryLater, RetryPolicy, Throttle, TransientError

__all__ = ["RateLimit", "RetryLater", "RetryPolicy", "Throttle", "TransientError"]
