"""What every API module shares: the JSON 404 for unknown paths and the id pattern of lookups."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
)
from rest_framework import status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from declarations.ids import ID_PATTERN

XLSX_RESPONSE = OpenApiResponse(response=OpenApiTypes.BINARY, description="Excel 工作簿（.xlsx）")
CSV_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.BINARY, description="CSV 文件（UTF-8，带 BOM，Excel 可直接打开）"
)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
@authentication_classes([])
def not_found(request, *args, **kwargs):
    return Response(
        {"detail": "接口地址不存在，请核对请求的 URL。"}, status=status.HTTP_404_NOT_FOUND
    )


ID_LOOKUP = ID_PATTERN
