"""Log records carry the request id so one request can be followed across lines."""

import json
import logging
import logging.config

from portal.request_context import current_request_id


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django logs a 4xx/5xx response ("django.request") after the middleware has
        # returned, when the context variable is already reset; the record carries
        # the request itself then.
        request = getattr(record, "request", None)
        record.request_id = current_request_id() or getattr(request, "request_id", None) or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            payload["status_code"] = status_code
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(config: dict) -> None:
    """settings.LOGGING_CONFIG: dictConfig, plus Python warnings routed through logging
    so that with JSON logs every line on stderr is one JSON object."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)
