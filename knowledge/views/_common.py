from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect


def validation_messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [m for ms in exc.message_dict.values() for m in ms]
    return list(exc.messages)


def back_with_errors(request, exc: Exception, to: str):
    texts = validation_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]
    for text in texts:
        messages.error(request, text)
    return redirect(to)


def add_form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
