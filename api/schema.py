"""Every operation documents the errors every operation can answer, so that clients (and
schemathesis) can rely on the schema for error responses too."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse

from api.serializers import DetailSerializer

COMMON_ERRORS = {
    "400": OpenApiResponse(OpenApiTypes.OBJECT, description="输入有误：按字段给出的中文错误"),
    "401": OpenApiResponse(DetailSerializer, description="未登录或令牌无效"),
    "403": OpenApiResponse(DetailSerializer, description="无权执行此操作"),
    "404": OpenApiResponse(DetailSerializer, description="不存在、不在您的范围内，或页码超出范围"),
    "409": OpenApiResponse(DetailSerializer, description="已被他人处理或修改"),
    "429": OpenApiResponse(DetailSerializer, description="请求过于频繁"),
    # Answered by the HTTP server in front of Django (gunicorn refuses a request line longer than
    # 4,094 bytes), so it has no JSON body.
    "414": OpenApiResponse(description="请求地址过长：请减少查询参数"),
    "503": OpenApiResponse(DetailSerializer, description="数据库繁忙，请按 Retry-After 稍后重试"),
}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in COMMON_ERRORS.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses
