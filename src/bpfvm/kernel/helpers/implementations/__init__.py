"""bpfvm's implementations of kernel helpers and kfuncs, one module per family."""
