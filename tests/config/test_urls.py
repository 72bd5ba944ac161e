"""The project's URLs and middleware: viewflow drives the flow and nothing else."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver


def _callbacks(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _callbacks(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def test_viewflow_is_only_the_engine():
    """viewflow drives the flow and nothing else: no URL of the project resolves to a viewflow
    view (its frontend, flow and task pages), and its middlewares are not installed
    (VIEWFLOW AUTOREGISTER is off), so every page and action goes through our views."""
    routed = [
        (route, f"{callback.__module__}.{getattr(callback, '__qualname__', callback)}")
        for route, callback in _callbacks(get_resolver().url_patterns)
    ]
    assert routed
    offending = [(r, name) for r, name in routed if name.startswith("viewflow")]
    assert offending == []
    assert not [m for m in settings.MIDDLEWARE if m.startswith("viewflow")]
