# Type stub for the native module siperb._core. Users import from siperb, not from here.
