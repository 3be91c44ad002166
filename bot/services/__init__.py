"""Services: the message bus, command handlers, run orchestration and timers."""
