"""Plain-text notification templates (subject line, then body), rendered without HTML escaping.

E-mail subjects and bodies are text, not HTML: escaping them turns a typed ' or < into &#x27; or
&lt;. The HTML pages that show notifications escape the stored text themselves.
"""

from functools import cache

from django.template.backends.django import DjangoTemplates


@cache
def text_engine() -> DjangoTemplates:
    """A Django template engine for the apps' templates that does not autoescape."""
    return DjangoTemplates(
        {
            "NAME": "plain-text",
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {"autoescape": False},
        }
    )


def render_text(template_name: str, context: dict) -> str:
    """Render a plain-text template as typed: no HTML escaping."""
    return text_engine().get_template(template_name).render(context)
