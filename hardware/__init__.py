"""jxc hardware layer: device adapters and the dock agent (built in its own issue)."""
