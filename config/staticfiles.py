"""Which apps' static files are served and collected."""

from django.apps import apps
from django.contrib.staticfiles.finders import AppDirectoriesFinder


def is_viewflow_app(name: str) -> bool:
    """Whether the app is part of viewflow (its frontend, which no page of ours uses)."""
    return name == "viewflow" or name.startswith("viewflow.")


class AppDirectoriesWithoutViewflowFinder(AppDirectoriesFinder):
    """Every app's static files except viewflow's.

    viewflow 2.4's CSS names fonts the package does not ship, so the manifest storage of
    production stops `collectstatic` on them; no page of ours uses viewflow's frontend.
    """

    def __init__(self, app_names=None, *args, **kwargs):
        names = app_names or [config.name for config in apps.get_app_configs()]
        kept = [name for name in names if not is_viewflow_app(name)]
        super().__init__(kept, *args, **kwargs)
