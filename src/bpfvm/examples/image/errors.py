"""The errors of the image example: bad images and bad filter parameters, both :class:`BpfError`."""

from __future__ import annotations

from ...errors import BpfError

__all__ = ["FarbfeldError", "ImageError", "ParamError"]


class ImageError(BpfError):
    """Base class of the image example's errors."""


class FarbfeldError(ImageError):
    """Data that is not a complete Farbfeld image (bad magic, no header, truncated pixels), or an
    image that cannot be converted to one."""


class ParamError(ImageError):
    """A filter name or parameter that is unknown or out of range."""
