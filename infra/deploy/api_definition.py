"""The REST API's definition (Swagger 2.0, API Gateway's dialect), as Chalice deploys it.

``make package`` writes it to build/api-definition.json; the LocalStack test imports it into
API Gateway, which is as far as an API can go there without Lambda functions to call.
"""

from __future__ import annotations

from typing import Any

from chalice.deploy.swagger import SwaggerGenerator


def rest_api_definition(region: str, api_handler_arn: str) -> dict[str, Any]:
    """Swagger for app.py's routes, integrated with the API handler at ``api_handler_arn``."""
    import app

    return SwaggerGenerator(region, {"api_handler_arn": api_handler_arn}).generate_swagger(app.app)
