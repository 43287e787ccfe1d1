"""A record named in two languages shows the reader's name, the other when that is
empty — in both directions."""

import pytest
from django.utils import translation

from portal.i18n import pick


@pytest.mark.parametrize(
    ("language", "english", "russian", "shown"),
    [
        ("ru", "Team lead", "Руководитель команды", "Руководитель команды"),
        ("en", "Team lead", "Руководитель команды", "Team lead"),
        ("ru", "Team lead", "", "Team lead"),
        ("en", "", "Руководитель команды", "Руководитель команды"),
        ("ru-ru", "Team lead", "Руководитель команды", "Руководитель команды"),
    ],
)
def test_the_readers_name_or_else_the_other(language, english, russian, shown):
    with translation.override(language):
        assert pick(english, russian) == shown
