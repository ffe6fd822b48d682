"""Validation against Infobip's published Messages API schema (tests/fixtures/infobip_messages_api_schema.json).

The spec's ``MessagesApiBaseMessage`` is a ``oneOf`` of a text and a template message whose schemas leave extra
properties open, so a template message also matches the text branch and plain JSON Schema cannot tell them apart
(Infobip tells them by ``template``). We pick the branch the same way, resolve the body's ``discriminator``
(``type``) to its mapped schema as OpenAPI does, and, stricter than the spec, refuse properties the spec does not
declare on the objects we build, so a misspelt field fails here rather than at Infobip.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = json.loads((Path(__file__).parent.parent / "fixtures" / "infobip_messages_api_schema.json").read_text())
CLOSED = (
    "MessagesApiRequest",
    "MessagesApiMessage",
    "MessagesApiTemplateMessage",
    "MessagesApiToDestination",
    "MessagesApiTemplate",
    "MessagesApiMessageContent",
    "MessagesApiTemplateMessageContent",
    "MessagesApiWebhooks",
    "MessagesApiDelivery",
    "MessagesApiMessageOptions",
    "MessagesApiRequestOptions",
    "RequestSchedulingSettings",
)


def _strict() -> dict[str, Any]:
    schema = copy.deepcopy(SCHEMA)
    for name in CLOSED:
        schema["$defs"][name]["additionalProperties"] = False
    # The envelope's messages are checked one by one below, each against its branch.
    schema["$defs"]["MessagesApiRequest"]["properties"]["messages"]["items"] = {"type": "object"}
    return schema


STRICT = _strict()


def _validate(instance: object, name: str) -> None:
    jsonschema.validate(instance, {"$ref": f"#/$defs/{name}", "$defs": STRICT["$defs"]})


def validate_request(body: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``body`` is a valid ``POST /messages-api/1/messages`` body."""
    _validate(body, "MessagesApiRequest")
    for message in body["messages"]:
        template = "template" in message
        _validate(message, "MessagesApiTemplateMessage" if template else "MessagesApiMessage")
        text_body = (message.get("content") or {}).get("body")
        if text_body is not None:
            assert text_body["type"] == "TEXT"
            _validate(text_body, "MessagesApiTemplateTextBody" if template else "MessagesApiMessageTextBody")


def validate_report(body: dict[str, Any]) -> None:
    """A delivery-report webhook body or ``GET /messages-api/1/reports`` answer (``MessagesApiDeliveryReportResponse``)."""
    jsonschema.validate(body, {"$ref": "#/$defs/MessagesApiDeliveryReportResponse", "$defs": SCHEMA["$defs"]})


def validate_response(body: dict[str, Any]) -> None:
    name = "ResponseEnvelopeMessageResponseMessageResponseDetails"
    jsonschema.validate(body, {"$ref": f"#/$defs/{name}", "$defs": SCHEMA["$defs"]})
