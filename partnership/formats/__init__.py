"""Date formats of the interface's languages where Django's own do not fit (FORMAT_MODULE_PATH)."""
