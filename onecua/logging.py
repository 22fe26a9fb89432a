"""Logging filter that keeps personal data out of logs (Nghị định 13/2023/NĐ-CP).

:class:`PiiMaskingFilter` is attached to every handler in ``settings.LOGGING`` (and, in a
Celery worker, to the handlers Celery installs: see :func:`install_on_celery_handlers`). It
renders each record's message once, masks every 12-digit CCCD-like number and every phone
number in it (``onecua.pii.mask_text``, the rule the pages use), and does the same to the
exception text and stack so that a traceback quoting a SQL parameter or an ``IntegrityError``
detail cannot leak one. It never drops a record.
"""
from __future__ import annotations

import logging

from onecua.pii import mask_text

_formatter = logging.Formatter()


class PiiMaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_pii_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        record._pii_masked = True
        return True


def add_filter(handlers) -> None:
    for handler in handlers:
        if not any(isinstance(f, PiiMaskingFilter) for f in handler.filters):
            handler.addFilter(PiiMaskingFilter())


def install_on_celery_handlers(logger=None, **kwargs) -> None:
    """Celery's ``after_setup_logger`` / ``after_setup_task_logger``: the worker replaces the
    root handlers (``worker_hijack_root_logger``), so its own handlers get the filter too."""
    add_filter((logger or logging.getLogger()).handlers)
    add_filter(logging.getLogger().handlers)


def connect_celery_signals() -> None:
    from celery.signals import after_setup_logger, after_setup_task_logger

    after_setup_logger.connect(install_on_celery_handlers, weak=False)
    after_setup_task_logger.connect(install_on_celery_handlers, weak=False)
