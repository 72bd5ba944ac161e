"""The API's parsers: DRF's, with refusals in Chinese, a bound on a body's size and one on JSON
nesting."""

import json

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http.multipartparser import MultiPartParserError
from rest_framework import exceptions, parsers, status
from rest_framework.exceptions import ParseError

# No request of this API nests deeper than 4 levels (a declaration's indicator rows); 32 leaves
# room for any client while keeping serializers and renderers far from Python's recursion limit.
MAX_JSON_DEPTH = 32
MSG_TOO_DEEP = f"请求内容嵌套层级过深（最多 {MAX_JSON_DEPTH} 层），已拒绝。"
MSG_NOT_JSON = "请求内容不是有效的 JSON（须为 UTF-8 编码）。"
MSG_NOT_JSON_AT = "请求内容不是有效的 JSON：第 {line} 行第 {column} 列有误。"
MSG_NOT_FORM = "请求内容无法按所声明的表单格式读取，请核对 Content-Type 与请求内容。"
MSG_TOO_MANY_FIELDS = "请求中的字段过多，已拒绝。"
MSG_TOO_LARGE = "请求内容过大（最多 {limit}），已拒绝。"


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"

    def __init__(self):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        super().__init__(MSG_TOO_LARGE.format(limit=_in_words(limit)))


def _in_words(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{size / 1024:g} KB" if size >= 1024 else f"{size} 字节"


def refusal_for(problem: Exception) -> exceptions.APIException:
    """The API's answer to a body Django could not read: too large, too many fields, or not
    in the form it claims to be."""
    if isinstance(problem, RequestDataTooBig):
        return BodyTooLarge()
    if isinstance(problem, TooManyFieldsSent | TooManyFilesSent):
        return ParseError(MSG_TOO_MANY_FIELDS)
    return ParseError(MSG_NOT_FORM)


def _refuse_oversized(parser_context) -> None:
    """DRF reads JSON and urlencoded bodies past Django's DATA_UPLOAD_MAX_MEMORY_SIZE; no request
    of this API carries a file, so every body is held to it."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    meta = (parser_context or {})["request"].META
    try:
        length = int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if limit is not None and length > limit:
        raise BodyTooLarge()


def nesting_depth(value, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply lists and objects nest in parsed JSON (0 for a scalar), counted without
    recursion; stops counting once past `limit`."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            break
        pending.extend((child, depth + 1) for child in children)
    return deepest


def _not_json_message(problem: BaseException | None) -> str:
    if isinstance(problem, json.JSONDecodeError):
        return MSG_NOT_JSON_AT.format(line=problem.lineno, column=problem.colno)
    return MSG_NOT_JSON


class JSONParser(parsers.JSONParser):
    """Refuses, with a 400 in Chinese, a body that is not JSON or that nests absurdly deep
    (Python's decoder raises RecursionError, a 500, from about 1,000 levels)."""

    def parse(self, stream, media_type=None, parser_context=None):
        """The parsed body, or ParseError with a Chinese message."""
        _refuse_oversized(parser_context)
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(MSG_TOO_DEEP) from None
        except ParseError as error:
            raise ParseError(_not_json_message(error.__context__)) from None
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(MSG_TOO_DEEP)
        return data


class FormParser(parsers.FormParser):
    """An urlencoded body, refused in Chinese when it is too large or has too many fields."""

    def parse(self, stream, media_type=None, parser_context=None):
        """The form's fields, or a refusal with a Chinese message."""
        _refuse_oversized(parser_context)
        try:
            return super().parse(stream, media_type, parser_context)
        except SuspiciousOperation as problem:
            raise refusal_for(problem) from None


class MultiPartParser(parsers.MultiPartParser):
    """A multipart body, refused in Chinese when Django cannot read it (DRF said so in English,
    and some of Django's refusals were its HTML error page)."""

    def parse(self, stream, media_type=None, parser_context=None):
        """The form's fields and files, or a refusal with a Chinese message."""
        _refuse_oversized(parser_context)
        try:
            return super().parse(stream, media_type, parser_context)
        except (SuspiciousOperation, MultiPartParserError, ParseError) as problem:
            raise refusal_for(problem.__context__ or problem) from None
