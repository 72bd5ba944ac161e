"""Real API responses checked against the OpenAPI schema (openapi-core), each mismatch recorded
and all of them reported at the end of the test."""

import openapi_core
from openapi_core.contrib import django as openapi_django


class Conformance:
    """Checks each response against the operation, status code and content type in the schema."""

    def __init__(self, schema: dict):
        self.openapi = openapi_core.OpenAPI.from_dict(schema)
        self.request_class = openapi_django.DjangoOpenAPIRequest
        self.response_class = openapi_django.DjangoOpenAPIResponse
        self.errors: list[str] = []

    def check(self, response):
        """Record every mismatch; `assert_clean` reports them all at the end of the test."""
        request = self.request_class(response.wsgi_request)
        for error in self.openapi.iter_response_errors(request, self.response_class(response)):
            cause = error.__cause__ or getattr(error, "schema_errors", "")
            self.errors.append(
                f"{response.wsgi_request.method} {response.wsgi_request.get_full_path()} "
                f"-> {response.status_code} {response.get('Content-Type', '')}: {error!r} {cause!r}"
            )
        return response

    def assert_clean(self):
        assert not self.errors, "responses that do not match the schema:\n" + "\n".join(self.errors)


class CheckedClient:
    """An APIClient whose every response is checked against the schema."""

    def __init__(self, client, conformance: Conformance):
        self.client = client
        self.conformance = conformance

    def __getattr__(self, method):
        call = getattr(self.client, method)

        def _call(path, data=None, status=None, **extra):
            if method in ("get",):
                response = call(path, data or {}, **extra)
            else:
                response = call(path, data, format="json", **extra)
            self.conformance.check(response)
            if status is not None:
                expected = status if isinstance(status, tuple) else (status,)
                assert response.status_code in expected, (path, response.content[:500])
            return response

        return _call
