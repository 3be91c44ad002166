"""The console chat: a terminal surface for local use and demos (cards drawn as text, buttons typed)."""
