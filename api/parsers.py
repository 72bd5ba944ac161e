"""The API's JSON parser: DRF's, with refusals in Chinese and a bound on nesting."""

import json

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# No request of this API nests deeper than 4 levels (a declaration's indicator rows); 32 leaves
# room for any client while keeping serializers and renderers far from Python's recursion limit.
MAX_JSON_DEPTH = 32
MSG_TOO_DEEP = f"请求内容嵌套层级过深（最多 {MAX_JSON_DEPTH} 层），已拒绝。"
MSG_NOT_JSON = "请求内容不是有效的 JSON（须为 UTF-8 编码）。"
MSG_NOT_JSON_AT = "请求内容不是有效的 JSON：第 {line} 行第 {column} 列有误。"


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
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(MSG_TOO_DEEP) from None
        except ParseError as error:
            raise ParseError(_not_json_message(error.__context__)) from None
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(MSG_TOO_DEEP)
        return data
