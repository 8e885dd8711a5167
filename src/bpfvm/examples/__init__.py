"""Example applications built on bpfvm: C programs compiled to BPF and driven from Python.

* :mod:`bpfvm.examples.image` — image kernels (greyscale, contrast, colour spaces, convolution)
  on Farbfeld images, as an extension library (``bpfvm image`` on the command line).
"""

__all__: list[str] = []
